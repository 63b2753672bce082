import type { Attributes } from '../src/domain';

/** Realistic CI documents for benchmarks: a server with the attributes a discovery tool reports. */

const OSES = ['debian-12', 'ubuntu-24.04', 'rhel-9', 'windows-2022'];
const SITES = ['par1', 'fra2', 'ams3', 'lon1'];

export function serverAttributes(index: number, change: number): Attributes {
  return {
    hostname: `srv-${index}.prod.example.net`,
    fqdn: `srv-${index}.prod.example.net`,
    ip: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
    os: OSES[index % OSES.length]!,
    kernel: `6.1.${change}`,
    cpu: 4 + (index % 4) * 4,
    memoryGb: 16 + (change % 4) * 16,
    disks: [
      { mount: '/', sizeGb: 100, fs: 'ext4' },
      { mount: '/var', sizeGb: 200 + change, fs: 'xfs' },
    ],
    site: SITES[index % SITES.length]!,
    rack: `r${index % 40}`,
    owner: `team-${index % 25}`,
    costCenter: `CC-${1000 + (index % 300)}`,
    environment: 'production',
    tags: ['linux', 'web', `tier-${index % 3}`],
    patchLevel: `2026-${String(1 + (change % 12)).padStart(2, '0')}`,
    monitored: true,
    lastSeen: new Date(Date.UTC(2026, 0, 1) + change * 3_600_000).toISOString(),
  };
}

/**
 * A server and its three relationships to other servers of the estate (of
 * `estate` CIs, ci-0 … ci-{estate-1}): `runs_on` never changes, `uses` is
 * re-pointed every fifth change and `depends_on` every third, so the graph
 * changes over the log as an estate's does. Targets are spread uniformly, so
 * each CI has about three incoming edges.
 */
export function serverDocument(index: number, change: number, estate = 100_000) {
  const target = (salt: number, epoch: number) => `ci-${mix(index * 31 + salt * 1_000_003 + epoch * 7919) % estate}`;
  return {
    type: 'server',
    name: `srv-${index}`,
    status: 'live' as const,
    attributes: serverAttributes(index, change),
    relationships: [
      { type: 'depends_on', target: target(1, Math.floor(change / 3)) },
      { type: 'runs_on', target: target(2, 0) },
      { type: 'uses', target: target(3, Math.floor(change / 5)) },
    ],
  };
}

/** A 32-bit integer hash (Murmur3's finaliser): deterministic, well spread. */
export function mix(value: number): number {
  let h = value | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
