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

export function serverDocument(index: number, change: number) {
  return {
    type: 'server',
    name: `srv-${index}`,
    status: 'live' as const,
    attributes: serverAttributes(index, change),
    relationships: [
      { type: 'depends_on', target: `db-${index % 50}` },
      { type: 'runs_on', target: `rack-${index % 40}` },
    ],
  };
}
