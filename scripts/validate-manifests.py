"""Validate Kubernetes manifests offline against the JSON schemas of kubernetes-validate.

Called by scripts/validate-manifests.mjs, which installs the pinned
kubernetes-validate release and its dependencies and puts them on PYTHONPATH.
The strict schemas set additionalProperties to false, so a misspelt field is
an error. Each resource is checked against every --kubernetes-version given,
and every error is listed, not only the first.

Exit status: 0 when every resource is valid, 1 when a resource is invalid or a
file cannot be read or parsed, 2 on a usage error or a Kubernetes version that
kubernetes-validate has no schemas for.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

SCHEMA_ROOT = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
MAX_MESSAGE_LENGTH = 300


class DuplicateKeyLoader(yaml.SafeLoader):
    """A YAML loader that rejects a key repeated in one mapping.

    PyYAML silently keeps the last value of a repeated key, which would hide a
    second `env:` or `ports:` block that kubectl rejects.
    """


def construct_mapping_without_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


DuplicateKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping_without_duplicates
)


class Problem(Exception):
    """A file that cannot be read or parsed, or an invalid kustomization."""


def load_documents(source):
    """Return the non-empty YAML documents of a file, or of stdin for `-`."""
    try:
        if source == "-":
            documents = list(yaml.load_all(sys.stdin, Loader=DuplicateKeyLoader))
        else:
            with open(source, encoding="utf-8") as stream:
                documents = list(yaml.load_all(stream, Loader=DuplicateKeyLoader))
    except OSError as error:
        raise Problem(f"cannot be read ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise Problem(f"invalid YAML: {error}") from error
    return [document for document in documents if document is not None]


def schema_file_name(kind, api_version):
    """Name the schema file the way kubernetes-validate does: apps/v1 Deployment -> deployment-apps-v1.json."""
    group_and_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_and_version}.json"


class SchemaSet:
    """The strict schemas of one Kubernetes version, with compiled validators cached by file."""

    def __init__(self, version):
        self.version = version
        self.directory = SCHEMA_ROOT / f"v{version}-local-strict"
        if not self.directory.is_dir():
            available = sorted(
                path.name[1 : -len("-local-strict")]
                for path in SCHEMA_ROOT.glob("v*-local-strict")
            )
            raise Problem(
                f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for "
                f"Kubernetes {version}; available: {', '.join(available)}"
            )
        definitions = json.loads((self.directory / "_definitions.json").read_text())
        # The kind schemas refer to /api/_definitions.json relative to their
        # https://kubernetes.io $id, so the registry serves that URI from disk
        # and nothing is fetched.
        self.registry = Registry().with_resource(
            definitions["$id"], Resource.from_contents(definitions)
        )
        self.validators = {}

    def validator_for(self, kind, api_version):
        """Return the validator for a kind, or None when this version has no schema for it."""
        file_name = schema_file_name(kind, api_version)
        if file_name not in self.validators:
            path = self.directory / file_name
            if path.is_file():
                schema = json.loads(path.read_text())
                self.validators[file_name] = jsonschema.Draft202012Validator(
                    schema, registry=self.registry
                )
            else:
                self.validators[file_name] = None
        return self.validators[file_name]


def format_path(parts):
    """Format a JSON path as spec.template.spec.containers[0].ports[0]."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text or "(document root)"


def shorten(message):
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    return message[: MAX_MESSAGE_LENGTH - 3] + "..."


def describe(document, index):
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    name = metadata.get("name", f"(document {index + 1}, no name)")
    return f"{document.get('kind', '(no kind)')}/{name}"


def api_group(api_version):
    return api_version.split("/")[0] if "/" in api_version else ""


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def pod_template(document):
    """Return the mapping with the metadata and spec of the pods a Pod, workload or CronJob
    runs, with its path, or (None, None) for other kinds."""
    kind = document.get("kind")
    path = {
        "Pod": (),
        "CronJob": ("spec", "jobTemplate", "spec", "template"),
    }.get(kind, ("spec", "template") if kind in WORKLOAD_KINDS else None)
    if path is None:
        return None, None
    template = document
    for part in path:
        template = template.get(part) if isinstance(template, dict) else None
    return (template, list(path)) if isinstance(template, dict) else (None, None)


def selects(selector, labels):
    """Tell whether a label selector mapping selects pods with these labels."""
    return all(labels.get(key) == value for key, value in selector.items())


def declared_pod_ports(label, resource, document, errors):
    """Return the labels and declared port names of a document's pods, or None for other kinds.

    Also reports each probe that names a port its own container does not declare.
    """
    template, base = pod_template(document)
    spec = template.get("spec") if template is not None else None
    if not isinstance(spec, dict):
        return None
    declared = set()
    for group in ("initContainers", "containers"):
        for index, container in enumerate(spec.get(group) or []):
            if not isinstance(container, dict):
                continue
            ports = [port for port in container.get("ports") or [] if isinstance(port, dict)]
            names = {port.get("name") for port in ports if isinstance(port.get("name"), str)}
            declared |= names
            for probe in PROBES:
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    port = ((container.get(probe) or {}).get(handler) or {}).get("port")
                    if isinstance(port, str) and port not in names:
                        where = format_path(base + ["spec", group, index, probe, handler, "port"])
                        message = (
                            f"names port {port!r}, which container "
                            f"{container.get('name')!r} does not declare"
                        )
                        errors.setdefault((label, resource, where, message), [])
    metadata = template.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return (labels if isinstance(labels, dict) else {}), declared


def selected_port_references(document):
    """Return the selector of a Service or NetworkPolicy and the ports it names, or None."""
    kind = document.get("kind")
    spec = document.get("spec") if isinstance(document.get("spec"), dict) else {}
    if kind == "Service" and isinstance(spec.get("selector"), dict):
        references = [
            (["spec", "ports", index, "targetPort"], port.get("targetPort"))
            for index, port in enumerate(spec.get("ports") or [])
            if isinstance(port, dict)
        ]
        return spec["selector"], references
    if kind == "NetworkPolicy":
        selector = spec.get("podSelector") or {}
        # matchExpressions are not evaluated here, so such a policy is checked against every pod.
        match = selector.get("matchLabels") if "matchExpressions" not in selector else {}
        references = [
            (["spec", "ingress", rule_index, "ports", index, "port"], port.get("port"))
            for rule_index, rule in enumerate(spec.get("ingress") or [])
            if isinstance(rule, dict)
            for index, port in enumerate(rule.get("ports") or [])
            if isinstance(port, dict)
        ]
        return (match if isinstance(match, dict) else {}), references
    return None


def ingress_backends(document):
    """Return the path and service reference of each backend of an Ingress."""
    spec = document.get("spec") if isinstance(document.get("spec"), dict) else {}
    backends = [(["spec", "defaultBackend"], spec.get("defaultBackend"))] + [
        (["spec", "rules", rule_index, "http", "paths", index, "backend"], path.get("backend"))
        for rule_index, rule in enumerate(spec.get("rules") or [])
        if isinstance(rule, dict)
        for index, path in enumerate((rule.get("http") or {}).get("paths") or [])
        if isinstance(path, dict)
    ]
    return [
        (where, backend["service"])
        for where, backend in backends
        if isinstance(backend, dict) and isinstance(backend.get("service"), dict)
    ]


def check_named_ports(resources, errors):
    """Check that every port referred to by name exists, which the schemas cannot see.

    A probe must name a port of its own container. A Service's targetPort and a
    NetworkPolicy's ingress port must name a port declared by a pod they select,
    and an Ingress backend must name a port of its Service. The schemas accept
    any name, so a misspelt one would otherwise show only in a cluster.
    """
    pods = []  # (labels, names of the ports its containers declare)
    service_ports = {}  # Service name -> names of its ports
    for label, resource, document in resources:
        pod = declared_pod_ports(label, resource, document, errors)
        if pod is not None:
            pods.append(pod)
        if document.get("kind") == "Service":
            name = (document.get("metadata") or {}).get("name")
            ports = (document.get("spec") or {}).get("ports") or []
            service_ports[name] = {port.get("name") for port in ports if isinstance(port, dict)}

    for label, resource, document in resources:
        selected = selected_port_references(document)
        if selected is not None:
            selector, references = selected
            available = set().union(*(names for labels, names in pods if selects(selector, labels)))
            for where, port in references:
                if isinstance(port, str) and port not in available:
                    message = f"names port {port!r}, which no pod that it selects declares"
                    errors.setdefault((label, resource, format_path(where), message), [])
        if document.get("kind") == "Ingress":
            for where, service in ingress_backends(document):
                name = service.get("name")
                port_name = (service.get("port") or {}).get("name")
                if name not in service_ports:
                    message = f"names Service {name!r}, which these manifests do not define"
                elif isinstance(port_name, str) and port_name not in service_ports[name]:
                    message = f"names port {port_name!r}, which Service {name!r} does not have"
                else:
                    continue
                errors.setdefault((label, resource, format_path(where), message), [])


def validate_source(source, label, schema_sets, custom_groups, errors, notes, resources):
    """Validate every document of one source into errors and notes, and return the document count.

    Each mapping with a kind is also added to resources as (label, resource, document), for the
    checks across documents.
    """
    documents = load_documents(source)
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            errors.setdefault((label, f"document {index + 1}", "", "is not a mapping"), [])
            continue
        resource = describe(document, index)
        kind = document.get("kind")
        api_version = document.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api_version, str):
            errors.setdefault((label, resource, "", "apiVersion and kind must be strings"), [])
            continue
        resources.append((label, resource, document))
        for schema_set in schema_sets:
            validator = schema_set.validator_for(kind, api_version)
            if validator is None:
                if api_group(api_version) in custom_groups:
                    notes.add(
                        f"{label}: {resource} skipped: {api_version} is a custom resource, "
                        "and its CRD schema is not among the Kubernetes schemas"
                    )
                else:
                    message = (
                        f"no schema for kind {kind} in {api_version}; check the spelling of "
                        "kind and apiVersion, or whether this Kubernetes version serves that API"
                    )
                    errors.setdefault((label, resource, "", message), []).append(
                        schema_set.version
                    )
                continue
            for error in validator.iter_errors(document):
                key = (label, resource, format_path(error.absolute_path), shorten(error.message))
                errors.setdefault(key, []).append(schema_set.version)
    return len(documents)


def check_kustomization(directory, errors):
    """Check that kustomization.yaml lists every manifest beside it, and only those."""
    directory = Path(directory)
    path = directory / "kustomization.yaml"
    label = str(path)
    documents = load_documents(str(path))
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise Problem("must hold exactly one Kustomization mapping")
    kustomization = documents[0]
    resources = kustomization.get("resources")
    if not isinstance(resources, list) or not all(isinstance(entry, str) for entry in resources):
        raise Problem("resources must be a list of file names")

    def add(message):
        errors.setdefault((label, "Kustomization", "resources", message), [])

    manifests = sorted(
        entry.name
        for entry in directory.iterdir()
        if entry.is_file()
        and entry.suffix in (".yaml", ".yml")
        and entry.name != "kustomization.yaml"
    )
    for name in manifests:
        if name not in resources:
            add(f"{name} is not listed; list it, or move it to examples/ or optional/")
    for entry in resources:
        if entry.startswith(("examples/", "optional/")):
            add(f"{entry} is listed, but examples/ and optional/ stay outside the kustomization")
        elif not (directory / entry).is_file():
            add(f"{entry} is listed but is not a file in {directory}")
    if "secretGenerator" in kustomization:
        add("secretGenerator is set, but no secret may be part of the kustomization")
    for entry in resources:
        entry_path = directory / entry
        if not entry_path.is_file():
            continue
        try:
            documents = load_documents(str(entry_path))
        except Problem:
            continue  # validate_source reports the same file as unreadable
        for document in documents:
            if isinstance(document, dict) and document.get("kind") == "Secret":
                add(f"{entry} contains a Secret; secrets are created outside the kustomization")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--kubernetes-version",
        action="append",
        required=True,
        help="Kubernetes version to validate against, such as 1.30.0 (repeat the option for more)",
    )
    parser.add_argument(
        "--custom-resource-group",
        action="append",
        default=[],
        help="API group of a custom resource to skip with a note instead of an error",
    )
    parser.add_argument(
        "--kustomization",
        help="folder whose kustomization.yaml must list every manifest beside it",
    )
    parser.add_argument(
        "--label",
        default="-",
        help="name that messages use for the manifests read from stdin",
    )
    parser.add_argument("sources", nargs="+", help="manifest files, or - for stdin")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    errors = {}
    notes = set()
    resources = []
    resource_count = 0
    try:
        schema_sets = [SchemaSet(version) for version in arguments.kubernetes_version]
    except Problem as problem:
        print(f"ERROR {problem}")
        return 2
    if arguments.kustomization:
        kustomization = str(Path(arguments.kustomization) / "kustomization.yaml")
        try:
            check_kustomization(arguments.kustomization, errors)
        except Problem as problem:
            errors.setdefault((kustomization, "", "", str(problem)), [])
    for source in arguments.sources:
        label = arguments.label if source == "-" else source
        try:
            resource_count += validate_source(
                source,
                label,
                schema_sets,
                set(arguments.custom_resource_group),
                errors,
                notes,
                resources,
            )
        except Problem as problem:
            errors.setdefault((label, "", "", str(problem)), [])
    check_named_ports(resources, errors)

    for note in sorted(notes):
        print(f"NOTE {note}")
    for (label, resource, path, message), versions in sorted(errors.items()):
        prefix = ": ".join(part for part in (label, resource, path) if part)
        suffix = f" (Kubernetes {', '.join(versions)})" if versions else ""
        print(f"ERROR {prefix}: {message}{suffix}")

    versions = " and ".join(arguments.kubernetes_version)
    if arguments.sources == ["-"]:
        checked = f"{arguments.label}: {resource_count} resources"
    else:
        checked = f"{resource_count} resources in {len(arguments.sources)} files"
    if errors:
        print(f"{checked}, {len(errors)} errors (strict schemas of Kubernetes {versions})")
        return 1
    print(f"{checked} valid against the strict schemas of Kubernetes {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
