/** The API's answers, as far as the console reads them (the OpenAPI description has them all). */
export interface Me {
  readonly authentication: 'on' | 'off';
  readonly name: string | null;
  readonly roles: string[];
}

export interface Ci {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly status: string;
  readonly attributes: Record<string, unknown>;
  readonly relationships: { type: string; target: string }[];
  readonly revision: number;
  readonly recordedAt: string;
}

export interface PatchOperation {
  readonly op: string;
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

export interface Change {
  readonly position?: number;
  readonly ciId?: string;
  readonly ciType?: string;
  readonly revision: number;
  readonly eventType: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly reason: string | null;
  readonly changeRef: string | null;
  readonly source: string;
  readonly patch: PatchOperation[];
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface ImpactItem {
  readonly ciId: string;
  readonly depth: number;
  readonly path: string[];
  readonly via: string[];
  readonly missing?: true;
}

export interface Baseline {
  readonly name: string;
  readonly asOf: string | null;
  readonly position: number;
  readonly members: number;
  readonly takenAt: string;
  readonly actor: string;
  readonly reason: string | null;
}

export interface Reconciliation {
  readonly id: string;
  readonly source: string;
  readonly scope: string;
  readonly apply: boolean;
  readonly counts: Record<string, number>;
  readonly items: number;
  readonly startedAt: string;
  readonly actor: string;
}

/** Admin implies every role; writer and auditor imply reader (as the server decides). */
export function may(me: Me, role: 'reader' | 'writer' | 'auditor' | 'admin'): boolean {
  if (me.roles.includes('admin') || me.roles.includes(role)) return true;
  return role === 'reader' && (me.roles.includes('writer') || me.roles.includes('auditor'));
}
