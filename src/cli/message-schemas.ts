import { z } from 'zod';
import {
  CiChangeClaimCheckSchema,
  CiChangeMessageSchema,
  CiStateClaimCheckSchema,
  CiStateMessageSchema,
} from '../ports/publisher';

/** The JSON Schemas of the downstream messages, generated from their zod declarations. */
export function messageSchemas(): Record<string, unknown> {
  return {
    'ci-changed.v1.schema.json': {
      $id: 'urn:configledger:schema:ci.changed.v1',
      title: 'ConfigLedger CI change (io.configledger.ci.changed.v1)',
      ...z.toJSONSchema(z.union([CiChangeMessageSchema, CiChangeClaimCheckSchema])),
    },
    'ci-state.v1.schema.json': {
      $id: 'urn:configledger:schema:ci.state.v1',
      title: 'ConfigLedger CI state (io.configledger.ci.state.v1)',
      ...z.toJSONSchema(z.union([CiStateMessageSchema, CiStateClaimCheckSchema])),
    },
  };
}
