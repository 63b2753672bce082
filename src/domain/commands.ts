import type { CiDocument, CiStatus } from './ci';

/**
 * Commands: what a user asks for, in the imperative. Input shapes are
 * validated at the edge; `decide` enforces the rules that need the state.
 */

export interface DesiredCiState {
  readonly type: string;
  readonly name: string;
  /** Omitted: keep the current status (`live` for a new CI). */
  readonly status?: CiStatus | undefined;
  readonly attributes: CiDocument['attributes'];
  readonly relationships: CiDocument['relationships'];
}

export type CiCommand =
  | { readonly type: 'RegisterCi'; readonly ciId: string; readonly desired: DesiredCiState }
  | { readonly type: 'DeclareCi'; readonly ciId: string; readonly desired: DesiredCiState }
  | { readonly type: 'PatchCi'; readonly ciId: string; readonly mergePatch: unknown }
  | { readonly type: 'RetireCi'; readonly ciId: string }
  | {
      readonly type: 'RestoreCi';
      readonly ciId: string;
      /** The document as it stood at `restoredRevision`, folded by the caller. */
      readonly target: CiDocument;
      readonly restoredRevision: number;
    };

export type CiCommandType = CiCommand['type'];

/** Commands that make no sense for a CI that was never registered (404, not 412). */
export function requiresExistingCi(command: CiCommand): boolean {
  return command.type !== 'RegisterCi' && command.type !== 'DeclareCi';
}
