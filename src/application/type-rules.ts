import type { ValidateFunction } from 'ajv';
import {
  secretPropertyNames,
  type CiDocument,
  type CiTypeVersion,
  type FieldIssue,
  type RelationshipRules,
  type Transitions,
} from '../domain';
import { attributeIssues, compileAttributeSchema } from './attribute-schema';
import type { TypeCatalogue } from './type-catalogue';

/** What a write to a CI of a defined type must respect, as the command handler sees it. */
export interface CiTypeRules {
  readonly type: string;
  readonly revision: number;
  /** Attribute keys the type marks `x-secret`: fingerprinted like the SECRET_ATTRIBUTE_PATTERN's. */
  readonly secretKeys: ReadonlySet<string>;
  readonly transitions: Transitions | undefined;
  /** Every way the document breaks the type's schema and relationship rules (empty: it conforms). */
  issues(document: CiDocument): Promise<FieldIssue[]>;
}

export interface TypeRulesSource {
  /** The rules in force now for CIs of `type`; undefined for a type nobody defined (free-form). */
  rulesFor(type: string): Promise<CiTypeRules | undefined>;
}

/** The current type of each existing CI among `ciIds` (missing ones are left out). */
export type TargetTypes = (ciIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/** Rules made from the type catalogue; compiled schemas are kept per type revision. */
export class CatalogueTypeRules implements TypeRulesSource {
  private readonly compiled = new Map<string, { revision: number; rules: CiTypeRules }>();

  constructor(
    private readonly catalogue: TypeCatalogue,
    private readonly targetTypes: TargetTypes,
  ) {}

  async rulesFor(type: string): Promise<CiTypeRules | undefined> {
    const version = await this.catalogue.current(type);
    if (!version) return undefined;
    const cached = this.compiled.get(type);
    if (cached?.revision === version.revision) return cached.rules;
    const rules = this.compile(version);
    this.compiled.set(type, { revision: version.revision, rules });
    return rules;
  }

  private compile(version: CiTypeVersion): CiTypeRules {
    const validate: ValidateFunction = compileAttributeSchema(version.definition.schema);
    const relationshipRules = version.definition.relationships;
    const targetTypes = this.targetTypes;
    return {
      type: version.type,
      revision: version.revision,
      secretKeys: secretPropertyNames(version.definition.schema),
      transitions: version.definition.lifecycle?.transitions,
      async issues(document) {
        const issues = attributeIssues(validate, document.attributes);
        if (relationshipRules)
          issues.push(...(await relationshipIssues(document, version.type, relationshipRules, targetTypes)));
        return issues;
      },
    };
  }
}

async function relationshipIssues(
  document: CiDocument,
  type: string,
  rules: RelationshipRules,
  targetTypes: TargetTypes,
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const allowed = Object.keys(rules);
  const constrained = document.relationships.filter((r) => rules[r.type]?.targets !== undefined);
  const typesOfTargets = constrained.length > 0 ? await targetTypes(constrained.map((r) => r.target)) : new Map();
  document.relationships.forEach((relationship, index) => {
    const rule = rules[relationship.type];
    if (!rule) {
      issues.push({
        field: `relationships[${index}].type`,
        message:
          `${relationship.type} is not a relationship a ${type} may have` +
          (allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ' (the type allows none)'),
      });
      return;
    }
    const targetType = typesOfTargets.get(relationship.target);
    if (rule.targets && targetType !== undefined && !rule.targets.includes(targetType)) {
      issues.push({
        field: `relationships[${index}].target`,
        message: `${relationship.target} is a ${targetType}; a ${type} may ${relationship.type} only a ${rule.targets.join(' or ')}`,
      });
    }
  });
  return issues;
}
