import {
  CiAlreadyExistsError,
  CiNotFoundError,
  InvalidCiError,
  type CiDocument,
  type CiEvent,
} from '../../../src/domain';
import { given } from './given-when-then';

const web: CiDocument = {
  type: 'server',
  name: 'web-01',
  status: 'live',
  attributes: { cpu: 4, os: null },
  relationships: [{ type: 'runs_on', target: 'rack-1' }],
};
const registered: CiEvent = { type: 'CiRegistered', data: { ciId: 'web-01', document: web } };
const retired: CiEvent = {
  type: 'CiRetired',
  data: { ciId: 'web-01', patch: [{ op: 'replace', path: '/status', value: 'retired' }] },
};

describe('RegisterCi', () => {
  it('registers a new CI with status live by default and relationships in canonical order', () => {
    given()
      .when({
        type: 'RegisterCi',
        ciId: 'web-01',
        desired: {
          type: 'server',
          name: 'web-01',
          attributes: { cpu: 4, os: null },
          relationships: [
            { type: 'runs_on', target: 'rack-1' },
            { type: 'depends_on', target: 'db-1' },
          ],
        },
      })
      .then([
        {
          type: 'CiRegistered',
          data: {
            ciId: 'web-01',
            document: {
              ...web,
              relationships: [
                { type: 'depends_on', target: 'db-1' },
                { type: 'runs_on', target: 'rack-1' },
              ],
            },
          },
        },
      ]);
  });

  it('refuses a CI that already exists, even retired', () => {
    given(registered, retired)
      .when({ type: 'RegisterCi', ciId: 'web-01', desired: web })
      .thenThrows(CiAlreadyExistsError, /already exists/);
  });
});

describe('DeclareCi (PUT)', () => {
  it('registers a CI that does not exist', () => {
    given().when({ type: 'DeclareCi', ciId: 'web-01', desired: web }).then([registered]);
  });

  it('appends nothing when the desired state equals the current one', () => {
    given(registered)
      .when({ type: 'DeclareCi', ciId: 'web-01', desired: { ...web, status: undefined } })
      .thenNothing();
  });

  it('appends one CiChanged with the patch from the current document', () => {
    given(registered)
      .when({
        type: 'DeclareCi',
        ciId: 'web-01',
        desired: { ...web, attributes: { cpu: 8, os: null }, name: 'web one' },
      })
      .then([
        {
          type: 'CiChanged',
          data: {
            ciId: 'web-01',
            patch: [
              { op: 'replace', path: '/name', value: 'web one' },
              { op: 'replace', path: '/attributes/cpu', value: 8 },
            ],
          },
        },
      ]);
  });

  it('keeps the current status when the desired state leaves it out', () => {
    given(registered, retired)
      .when({ type: 'DeclareCi', ciId: 'web-01', desired: { ...web, status: undefined } })
      .thenNothing();
  });

  it('treats relationships as a set: another order is no change', () => {
    const two: CiDocument = {
      ...web,
      relationships: [
        { type: 'depends_on', target: 'db-1' },
        { type: 'runs_on', target: 'rack-1' },
      ],
    };
    given({ type: 'CiRegistered', data: { ciId: 'web-01', document: two } })
      .when({ type: 'DeclareCi', ciId: 'web-01', desired: { ...two, relationships: [...two.relationships].reverse() } })
      .thenNothing();
  });
});

describe('PatchCi (RFC 7396 merge patch)', () => {
  it('removes an attribute with null and sets another', () => {
    given(registered)
      .when({ type: 'PatchCi', ciId: 'web-01', mergePatch: { attributes: { os: 'debian', cpu: null } } })
      .then([
        {
          type: 'CiChanged',
          data: {
            ciId: 'web-01',
            patch: [
              { op: 'remove', path: '/attributes/cpu' },
              { op: 'replace', path: '/attributes/os', value: 'debian' },
            ],
          },
        },
      ]);
  });

  it('appends nothing for a patch that changes nothing', () => {
    given(registered)
      .when({ type: 'PatchCi', ciId: 'web-01', mergePatch: { name: 'web-01' } })
      .thenNothing();
  });

  it('empties relationships when they are removed', () => {
    given(registered)
      .when({ type: 'PatchCi', ciId: 'web-01', mergePatch: { relationships: null } })
      .then([{ type: 'CiChanged', data: { ciId: 'web-01', patch: [{ op: 'remove', path: '/relationships/0' }] } }]);
  });

  it.each([
    ['not an object', ['a'], /\(body\): must be a JSON object/],
    ['type', { type: 'vm' }, /type: cannot be changed with PATCH/],
    ['an unknown field', { colour: 'red' }, /colour: is not a field of a CI/],
    ['an unknown status', { status: 'gone' }, /status: must be one of planned/],
    ['a removed name', { name: null }, /name: is required/],
    ['non-object attributes', { attributes: 'x' }, /attributes: must be a JSON object/],
  ])('refuses %s', (_label, mergePatch, message) => {
    given(registered).when({ type: 'PatchCi', ciId: 'web-01', mergePatch }).thenThrows(InvalidCiError, message);
  });

  it('refuses an unknown CI', () => {
    given().when({ type: 'PatchCi', ciId: 'web-01', mergePatch: {} }).thenThrows(CiNotFoundError);
  });
});

describe('RetireCi', () => {
  it('retires a live CI', () => {
    given(registered).when({ type: 'RetireCi', ciId: 'web-01' }).then([retired]);
  });

  it('appends nothing for a CI already retired', () => {
    given(registered, retired).when({ type: 'RetireCi', ciId: 'web-01' }).thenNothing();
  });

  it('refuses an unknown CI', () => {
    given().when({ type: 'RetireCi', ciId: 'web-01' }).thenThrows(CiNotFoundError);
  });
});

describe('RestoreCi', () => {
  it('brings a retired CI back to an earlier document in one event', () => {
    given(registered, retired)
      .when({ type: 'RestoreCi', ciId: 'web-01', target: web, restoredRevision: 1 })
      .then([
        {
          type: 'CiRestored',
          data: { ciId: 'web-01', restoredRevision: 1, patch: [{ op: 'replace', path: '/status', value: 'live' }] },
        },
      ]);
  });

  it('appends nothing when the CI already equals the target', () => {
    given(registered).when({ type: 'RestoreCi', ciId: 'web-01', target: web, restoredRevision: 1 }).thenNothing();
  });

  it('refuses an unknown CI', () => {
    given().when({ type: 'RestoreCi', ciId: 'web-01', target: web, restoredRevision: 1 }).thenThrows(CiNotFoundError);
  });
});
