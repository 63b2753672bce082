import type { CiTypeDefinition } from '../domain';

/**
 * A small starter catalogue of CI types: what most estates record first.
 * Load it into a running service with `npm run types -- load --starter`;
 * change any type afterwards with PUT /api/v1/types/{type} (history is kept).
 * End dates are marked `x-end-date` so the renewals report finds them.
 * Types are listed so that each names only types defined before it.
 */

const date = (kind: 'warranty' | 'licence' | 'support', description: string) => ({
  type: 'string',
  format: 'date',
  'x-end-date': kind,
  description,
});
const owner = { type: 'string', minLength: 1, description: 'the team accountable for the CI' };
const hostTargets = { targets: ['server', 'virtual-machine'] };

export const STARTER_TYPES: Readonly<Record<string, CiTypeDefinition>> = {
  contract: {
    description: 'A support, maintenance or service contract',
    schema: {
      type: 'object',
      required: ['supplier', 'supportEnd'],
      properties: {
        supplier: { type: 'string', minLength: 1 },
        reference: { type: 'string' },
        supportEnd: date('support', 'the contract ends on this day'),
        noticeDays: { type: 'integer', minimum: 0 },
      },
    },
    relationships: {},
  },
  licence: {
    description: 'A software licence or subscription',
    schema: {
      type: 'object',
      required: ['product', 'licenceEnd'],
      properties: {
        product: { type: 'string', minLength: 1 },
        vendor: { type: 'string' },
        seats: { type: 'integer', minimum: 0 },
        licenceKey: { type: 'string', 'x-secret': true },
        licenceEnd: date('licence', 'the licence expires on this day'),
      },
    },
    relationships: { covered_by: { targets: ['contract'] } },
    lifecycle: {
      transitions: {
        planned: ['ordered', 'live'],
        ordered: ['live', 'retired'],
        live: ['retired'],
        retired: ['disposed'],
      },
    },
  },
  'network-device': {
    description: 'A switch, router, firewall or load balancer',
    schema: {
      type: 'object',
      required: ['role', 'owner'],
      properties: {
        role: { enum: ['switch', 'router', 'firewall', 'load-balancer', 'access-point'] },
        managementIp: { type: 'string', format: 'ipv4' },
        firmware: { type: 'string' },
        owner,
        snmpCommunity: { type: 'string', 'x-secret': true },
        warrantyEnd: date('warranty', 'the manufacturer warranty ends on this day'),
        supportEnd: date('support', 'the support contract ends on this day'),
      },
    },
    relationships: {
      connected_to: { targets: ['network-device'] },
      member_of: {},
      covered_by: { targets: ['contract'] },
    },
  },
  server: {
    description: 'A physical server',
    schema: {
      type: 'object',
      required: ['serialNumber', 'owner'],
      properties: {
        serialNumber: { type: 'string', minLength: 1 },
        manufacturer: { type: 'string' },
        model: { type: 'string' },
        cpuCores: { type: 'integer', minimum: 1 },
        memoryGiB: { type: 'number', exclusiveMinimum: 0 },
        location: { type: 'string' },
        managementIp: { type: 'string', format: 'ipv4' },
        owner,
        warrantyEnd: date('warranty', 'the manufacturer warranty ends on this day'),
        supportEnd: date('support', 'the support contract ends on this day'),
        bmcPassword: { type: 'string', 'x-secret': true },
      },
    },
    relationships: {
      member_of: {},
      connected_to: { targets: ['network-device'] },
      licensed_by: { targets: ['licence'] },
      covered_by: { targets: ['contract'] },
    },
  },
  'virtual-machine': {
    description: 'A virtual machine, on a hypervisor host',
    schema: {
      type: 'object',
      required: ['owner'],
      properties: {
        vcpus: { type: 'integer', minimum: 1 },
        memoryGiB: { type: 'number', exclusiveMinimum: 0 },
        os: { type: 'string' },
        ip: { type: 'string', format: 'ipv4' },
        owner,
      },
    },
    relationships: {
      runs_on: { targets: ['server'] },
      member_of: {},
      connected_to: { targets: ['network-device'] },
      licensed_by: { targets: ['licence'] },
    },
  },
  database: {
    description: 'A database instance or cluster',
    schema: {
      type: 'object',
      required: ['engine', 'owner'],
      properties: {
        engine: { type: 'string', minLength: 1 },
        version: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        owner,
        connectionString: { type: 'string', 'x-secret': true },
        supportEnd: date('support', 'vendor support for this version ends on this day'),
      },
    },
    relationships: {
      runs_on: hostTargets,
      depends_on: { targets: ['database'] },
      licensed_by: { targets: ['licence'] },
    },
  },
  application: {
    description: 'A business or technical application',
    schema: {
      type: 'object',
      required: ['owner'],
      properties: {
        owner,
        version: { type: 'string' },
        url: { type: 'string', format: 'uri' },
        criticality: { enum: ['low', 'medium', 'high', 'critical'] },
        supportEnd: date('support', 'vendor support for this version ends on this day'),
      },
    },
    relationships: {
      runs_on: hostTargets,
      depends_on: { targets: ['application', 'database'] },
      licensed_by: { targets: ['licence'] },
      covered_by: { targets: ['contract'] },
    },
  },
};
