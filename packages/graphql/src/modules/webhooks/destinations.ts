import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may be sent (WEBHOOK_ALLOWED_HOSTS): host names (`hooks.oa.example`), name
 * suffixes (`.example.org`: every name under it), addresses and CIDR networks (`10.20.0.0/16`).
 * Empty: any host with a public address over https. Set: only the hosts on it. Either way an
 * address that is private, loopback or link-local is refused unless the list names it, and plain
 * http is allowed only for hosts on the list.
 */
export interface DestinationPolicy {
  names: ReadonlySet<string>;
  suffixes: readonly string[];
  networks: BlockList;
  /** The list was given: hosts not on it are refused. */
  restricted: boolean;
}

export function parseAllowedHosts(list: string | undefined): DestinationPolicy {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const networks = new BlockList();
  const entries = (list ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family !== 0 && address) {
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) networks.addAddress(address, type);
      else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
          throw new Error(`WEBHOOK_ALLOWED_HOSTS: ${entry} is not a network`);
        }
        networks.addSubnet(address, prefix, type);
      }
    } else if (entry.startsWith('.') || entry.startsWith('*.')) {
      suffixes.push(entry.slice(entry.indexOf('.')));
    } else if (/^[a-z0-9.-]+$/.test(entry)) {
      names.add(entry);
    } else {
      throw new Error(`WEBHOOK_ALLOWED_HOSTS: ${entry} is neither a host name, an address nor a network`);
    }
  }
  return { names, suffixes, networks, restricted: entries.length > 0 };
}

/** Addresses no webhook reaches unless the allow-list names them. */
const internalNetworks = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  internalNetworks.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internalNetworks.addSubnet(network, prefix, 'ipv6');
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function plainAddress(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

const nameListed = (policy: DestinationPolicy, host: string) =>
  policy.names.has(host) || policy.suffixes.some((suffix) => host.endsWith(suffix));

const addressListed = (policy: DestinationPolicy, address: string) => {
  const plain = plainAddress(address);
  return policy.networks.check(plain.address, plain.type);
};

const isInternal = (address: string) => {
  const plain = plainAddress(address);
  return internalNetworks.check(plain.address, plain.type);
};

/** The host of a URL without IPv6 brackets, lower case. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/** Why a URL may not receive webhooks, in words; undefined when it may. */
export function destinationProblem(raw: string, policy: DestinationPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL such as https://oa.example.org/hooks';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = hostOf(url);
  const literal = isIP(host) !== 0;
  const listed = literal ? addressListed(policy, host) : nameListed(policy, host);
  if (url.protocol === 'http:' && !listed) return `http is allowed only for hosts on WEBHOOK_ALLOWED_HOSTS; use https`;
  if (literal && isInternal(host) && !listed) {
    return `${host} is a private, loopback or link-local address; add it to WEBHOOK_ALLOWED_HOSTS to allow it`;
  }
  if (!literal && (host === 'localhost' || host.endsWith('.localhost')) && !listed) {
    return `${host} is this machine; add it to WEBHOOK_ALLOWED_HOSTS to allow it`;
  }
  if (policy.restricted && !listed) return `${host} is not on WEBHOOK_ALLOWED_HOSTS`;
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for the HTTP request: a name that resolves to an internal address is refused at
 * connect time unless the name or the address is listed, so a DNS answer that changed after the
 * endpoint was registered cannot send a webhook into the internal network.
 */
export function guardedLookup(policy: DestinationPolicy) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses as LookupAddress[];
      const refused = list.find(
        (entry) => isInternal(entry.address) && !nameListed(policy, hostname) && !addressListed(policy, entry.address),
      );
      if (refused) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to the internal address ${refused.address}`), {
            code: 'EADDRNOTALLOWED',
          }),
          [],
        );
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}
