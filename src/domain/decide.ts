import { DEFAULT_STATUS, ciDocument, type CiDocument } from './ci';
import type { CiCommand, DesiredCiState } from './commands';
import type { CiState } from './ci-state';
import { CiAlreadyExistsError, CiNotFoundError } from './errors';
import type { CiEvent } from './events';
import { diffDocuments } from './json-patch';
import { mergePatchDocument } from './merge-patch';

/**
 * decide(command, state) → events. Pure: no I/O, no clock, no ids. Returns
 * no event when the command would change nothing (so a re-sent PUT appends
 * nothing), and at most one event otherwise: one write, one revision.
 */
export function decide(command: CiCommand, state: CiState): CiEvent[] {
  const { ciId } = command;
  switch (command.type) {
    case 'RegisterCi':
      if (state.document) throw new CiAlreadyExistsError(ciId);
      return [registered(ciId, command.desired)];

    case 'DeclareCi':
      if (!state.document) return [registered(ciId, command.desired)];
      return changed(ciId, state.document, desiredDocument(command.desired, state.document));

    case 'PatchCi': {
      const current = existing(state, ciId);
      return changed(ciId, current, mergePatchDocument(current, command.mergePatch));
    }

    case 'RetireCi': {
      const current = existing(state, ciId);
      // Already out of service: retiring again (or un-disposing) would be noise.
      if (current.status === 'retired' || current.status === 'disposed') return [];
      return [{ type: 'CiRetired', data: { ciId, patch: diffDocuments(current, { ...current, status: 'retired' }) } }];
    }

    case 'RestoreCi': {
      const current = existing(state, ciId);
      const patch = diffDocuments(current, ciDocument(command.target));
      if (patch.length === 0) return [];
      return [{ type: 'CiRestored', data: { ciId, patch, restoredRevision: command.restoredRevision } }];
    }

    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

function existing(state: CiState, ciId: string): CiDocument {
  if (!state.document) throw new CiNotFoundError(ciId);
  return state.document;
}

function desiredDocument(desired: DesiredCiState, current: CiDocument | undefined): CiDocument {
  return ciDocument({
    type: desired.type,
    name: desired.name,
    status: desired.status ?? current?.status ?? DEFAULT_STATUS,
    attributes: desired.attributes,
    relationships: desired.relationships,
  });
}

function registered(ciId: string, desired: DesiredCiState): CiEvent {
  return { type: 'CiRegistered', data: { ciId, document: desiredDocument(desired, undefined) } };
}

function changed(ciId: string, current: CiDocument, next: CiDocument): CiEvent[] {
  const patch = diffDocuments(current, next);
  return patch.length === 0 ? [] : [{ type: 'CiChanged', data: { ciId, patch } }];
}
