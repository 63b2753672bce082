import { z } from 'zod';
import {
  CiChangeClaimCheckSchema,
  CiChangeMessageSchema,
  CiStateClaimCheckSchema,
  CiStateMessageSchema,
} from '../ports/publisher';
import { JsonValueSchema } from '../domain';

/**
 * A JSON value (an attribute's, a patch operation's) is checked by a function,
 * which JSON Schema cannot express: it is `{}`, any value, which is what it
 * allows. Anything else unrepresentable is a mistake, and still throws.
 */
const options: Parameters<typeof z.toJSONSchema>[1] = {
  unrepresentable: ({ zodSchema }) => (zodSchema === JsonValueSchema ? {} : 'throw'),
};

/** The JSON Schemas of the downstream messages, generated from their zod declarations. */
export function messageSchemas(): Record<string, unknown> {
  return {
    'ci-changed.v1.schema.json': {
      $id: 'urn:configledger:schema:ci.changed.v1',
      title: 'ConfigLedger CI change (io.configledger.ci.changed.v1)',
      ...z.toJSONSchema(z.union([CiChangeMessageSchema, CiChangeClaimCheckSchema]), options),
    },
    'ci-state.v1.schema.json': {
      $id: 'urn:configledger:schema:ci.state.v1',
      title: 'ConfigLedger CI state (io.configledger.ci.state.v1)',
      ...z.toJSONSchema(z.union([CiStateMessageSchema, CiStateClaimCheckSchema]), options),
    },
  };
}
