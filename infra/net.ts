/**
 * IPv4 CIDR arithmetic for config validation: parsing with the reason a string is not a CIDR, and
 * overlap between ranges. Pure.
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  bits: number;
  text: string;
}

/** The range, or why the text is not a canonical IPv4 CIDR (for the config error). */
export function parseCidr(text: string): Cidr | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return "must be an IPv4 CIDR such as 10.0.0.0/16";
  // Go's net.ParseCIDR refuses an octet with a leading zero (Go 1.17 on), and the AWS provider's
  // CIDR check runs it (terraform-provider-aws verify.ValidateIPv4CIDRBlock); inet_aton-style
  // parsers read such an octet as octal (010 is 8), so the range would not be the one checked here.
  const padded = m.slice(1, 5).find((o) => /^0\d/.test(o));
  if (padded) return `octet '${padded}' has a leading zero, which Go's net.ParseCIDR (the AWS provider's CIDR check) refuses and inet_aton-style parsers read as octal: write ${Number(padded)}`;
  const octets = m.slice(1, 5).map(Number);
  const bad = octets.findIndex((o) => o > 255);
  if (bad >= 0) return `octet ${octets[bad]} is over 255`;
  const bits = Number(m[5]);
  if (bits > 32) return `prefix /${bits} is over /32`;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const base = address - (address % size);
  if (base !== address) return `has host bits set; the network is ${formatAddress(base)}/${bits}`;
  return { base, bits, text };
}

/** Named ranges written as canonical CIDR text in the source (a table of fixed ranges), parsed. */
export function namedRanges(entries: readonly (readonly [name: string, cidr: string])[]): [string, Cidr][] {
  return entries.map(([name, text]) => {
    const cidr = parseCidr(text);
    if (typeof cidr === "string") throw new Error(`${text}: ${cidr}`);
    return [name, cidr];
  });
}

function formatAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}

/** Whether ranges together hold every IPv4 address (`0.0.0.0/1` and `128.0.0.0/1` as much as `0.0.0.0/0`). */
export function coverAllIpv4(cidrs: Cidr[]): boolean {
  let reach = 0;
  for (const c of [...cidrs].sort((a, b) => a.base - b.base)) {
    if (c.base > reach) return false;
    reach = Math.max(reach, c.base + 2 ** (32 - c.bits));
  }
  return reach >= 2 ** 32;
}
