import { describe, expect, it } from '@jest/globals';

import { canonicalIp, ipNetworkForLogs } from './ip-address.js';

describe(canonicalIp.name, () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::1', '::1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:2', '127.0.0.2'],
  ])('writes %s as %s', (input, expected) => {
    expect(canonicalIp(input)).toBe(expected);
  });

  it.each([
    ['a host name', 'example.com'],
    ['an octet above 255', '256.1.1.1'],
    ['a leading zero', '01.2.3.4'],
    ['a CIDR range', '10.0.0.0/8'],
    ['a zone id', 'fe80::1%eth0'],
    ['an empty string', ''],
  ])('rejects %s', (_case, input) => {
    expect(canonicalIp(input)).toBeUndefined();
  });
});

describe(ipNetworkForLogs.name, () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['::ffff:198.51.100.20', '198.51.100.0/24'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::/48'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['::1', '0:0:0::/48'],
  ])('cuts %s to %s', (input, expected) => {
    expect(ipNetworkForLogs(input)).toBe(expected);
  });
});
