import { isIP } from 'net';

/** Host names that name this machine or a cloud provider's instance metadata service. */
const PRIVATE_HOST_NAMES = /^(localhost|localhost\.localdomain|ip6-localhost|ip6-loopback|metadata|metadata\.google\.internal|metadata\.azure\.internal|instance-data(\.ec2\.internal)?)\.?$|\.localhost\.?$|\.internal\.?$/i;

function ipv4Private(address: string): string | null {
  const [a, b] = address.split('.').map(Number);
  if (a === 127) return 'a loopback address';
  if (a === 0) return 'an unspecified address';
  if (a === 169 && b === 254) return 'a link-local address (cloud instance metadata lives there)';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'a private network address';
  if (a === 100 && b >= 64 && b <= 127) return 'a carrier-grade NAT address';
  return null;
}

function ipv6Private(address: string): string | null {
  const lower = address.toLowerCase();
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Private(mapped[1]);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1], 16);
    return ipv4Private(`${high >> 8}.${high & 255}.${parseInt(hex[2], 16) >> 8}.${parseInt(hex[2], 16) & 255}`);
  }
  if (lower === '::1') return 'a loopback address';
  if (lower === '::') return 'an unspecified address';
  if (/^fe[89ab]/.test(lower)) return 'a link-local address';
  if (/^f[cd]/.test(lower)) return 'a private network address';
  if (lower.startsWith('fd00:ec2::')) return 'a link-local address (cloud instance metadata lives there)';
  return null;
}

/**
 * Why `url` points at this machine, a link-local address (cloud instance metadata) or a private
 * network, or null when it does not. Looks at the URL as written (IP literals in any notation the
 * URL parser normalises, such as `http://2130706433/`, and well-known host names); it does not resolve
 * DNS names.
 */
export function privateTargetReason(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return ipv4Private(bare);
  if (isIP(bare) === 6) return ipv6Private(bare);
  return PRIVATE_HOST_NAMES.test(bare) ? 'a name of this machine or of a metadata service' : null;
}

/** `scheme://host:port` of a URL, or null when it cannot be read. Credentials belong to one origin. */
export function originOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
