import { isIP } from 'node:net';

const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * Returns the one spelling of an IP address that the block list stores:
 * IPv4 as is, IPv6 compressed in lower case, and IPv4-mapped IPv6
 * (`::ffff:127.0.0.1`, as a dual-stack listener reports IPv4 clients) as
 * IPv4. Returns undefined for anything that is not an address, including
 * IPv6 with a zone id.
 */
export function canonicalIp(value: string): string | undefined {
  const version = isIP(value);
  if (version === 4) {
    return value;
  }
  if (version !== 6) {
    return undefined;
  }

  let compressed: string;
  try {
    // The WHATWG URL parser serialises IPv6 hosts in the compressed form of RFC 5952.
    compressed = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }

  const mapped = IPV4_MAPPED.exec(compressed);
  if (mapped === null) {
    return compressed;
  }
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/**
 * Returns the network of an address for log lines, which carry no full client
 * addresses: the /24 of an IPv4 address, the /48 of an IPv6 one.
 */
export function ipNetworkForLogs(address: string): string {
  const canonical = canonicalIp(address);
  if (canonical === undefined) {
    return 'invalid address';
  }
  if (isIP(canonical) === 4) {
    return `${canonical.split('.').slice(0, 3).join('.')}.0/24`;
  }

  const [head = '', tail = ''] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = canonical.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return `${groups.slice(0, 3).join(':')}::/48`;
}
