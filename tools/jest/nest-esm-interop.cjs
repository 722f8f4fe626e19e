/**
 * Jest transform for the few CommonJS packages that require Nest's ES-module-only
 * packages (@nestjs/throttler). Node 20 loads them through require(esm), but Jest's
 * module runtime supports that only on Node 24.9 or newer, so under Jest each such
 * require is replaced by the module namespace that nest-esm-globals.mjs imported
 * beforehand. The namespaces come from Jest's own module registry, so the package
 * gets the same classes and metadata as the code under test.
 */
const NEST_REQUIRE = /require\("(@nestjs\/(?:common|core))"\)/g;

module.exports = {
  process(source) {
    return {
      code: source.replace(
        NEST_REQUIRE,
        (_match, name) => `globalThis.__codexflowNestModules[${JSON.stringify(name)}]`,
      ),
    };
  },
};
