import { mockServices } from '@backstage/backend-test-utils';
import {
  entityEnvelopeSchemaValidator,
  entitySchemaValidator,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { devSession } from './__testUtils__/sessions';
import {
  DevSessionEntityProvider,
  sessionToEntity,
} from './DevSessionEntityProvider';

const A = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function fakeConnection() {
  return { applyMutation: jest.fn(), refresh: jest.fn() };
}

// the signed-in open route of each role, never the in-cluster address
const OPEN = `http://localhost:7007/api/dev-sessions/projects/${A}/open`;

describe('sessionToEntity', () => {
  it('builds a valid Resource entity with links, owner and Kubernetes annotations', () => {
    const e = sessionToEntity(devSession(A, 'Checkout Service'));
    expect(() => entityEnvelopeSchemaValidator()(e)).not.toThrow();
    expect(() => entitySchemaValidator()(e)).not.toThrow();
    expect(stringifyEntityRef(e)).toBe(
      `resource:default/checkout-service-${A}`,
    );
    expect(stringifyEntityRef(e)).toBe(
      devSession(A, 'Checkout Service').entityRef,
    );
    expect(e.spec).toEqual({
      type: 'dev-session',
      owner: 'group:default/payments',
      lifecycle: 'development',
    });
    expect(e.metadata.annotations).toMatchObject({
      'dev-sessions.io/project-uuid': A,
      'backstage.io/kubernetes-namespace': A,
      'backstage.io/kubernetes-label-selector': `dev-sessions.io/project-uuid=${A}`,
      'backstage.io/kubernetes-cluster': 'local',
      'backstage.io/managed-by-location': 'dev-sessions:sessions',
      'backstage.io/managed-by-origin-location': 'dev-sessions:sessions',
    });
    expect(e.metadata.links!.map(l => [l.title, l.icon, l.url])).toEqual([
      ['Preview', 'web', `${OPEN}/preview/`],
      ['Chat', 'chat', `${OPEN}/chat/`],
      ['VS Code', 'code', `${OPEN}/vscode/`],
    ]);
  });

  it('is a dependencyOf the project component when one is given', () => {
    const e = sessionToEntity(
      devSession(A, 'x', { component: 'component:default/checkout' }),
    );
    expect(e.spec!.dependencyOf).toEqual(['component:default/checkout']);
    expect(
      sessionToEntity(devSession(A, 'x')).spec!.dependencyOf,
    ).toBeUndefined();
  });

  it('keeps a failed session, with its state and error visible', () => {
    const e = sessionToEntity(
      devSession(A, 'x', {
        state: 'failed',
        lastError: 'helm upgrade timed out',
      }),
    );
    expect(e.metadata.annotations!['dev-sessions.io/state']).toBe('failed');
    expect(e.metadata.description).toContain('failed: helm upgrade timed out');
    // the catalog's "Delete entity" is not how a session goes away; the card is
    expect(e.metadata.description).toContain(
      'delete it from the Dev session card on this page: deleting this catalog entry does not delete the session',
    );
  });

  it.each([['a'.repeat(200)], ['日本語'], ['$(x); y=z,w'], ['Über – Projekt']])(
    'gives a valid entity for awkward project name %p',
    id => {
      const e = sessionToEntity(devSession(A, id));
      expect(() => entitySchemaValidator()(e)).not.toThrow();
      expect(e.metadata.name.length).toBeLessThanOrEqual(63);
    },
  );
});

describe('DevSessionEntityProvider', () => {
  it('applies a full mutation with one entity per session, owners mapped', async () => {
    const connection = fakeConnection();
    const provider = new DevSessionEntityProvider({
      logger: mockServices.logger.mock(),
      source: {
        list: async () => [
          devSession(A, 'one'),
          devSession(B, 'two', { owner: 'user:default/jane' }),
        ],
      },
    });
    await provider.connect(connection);
    expect(await provider.refresh()).toBe(2);
    const m = connection.applyMutation.mock.calls[0][0];
    expect(m.type).toBe('full');
    expect(
      m.entities.map((e: any) => [
        e.entity.metadata.name,
        e.entity.spec.owner,
        e.locationKey,
      ]),
    ).toEqual([
      [`one-${A}`, 'group:default/payments', 'dev-sessions:sessions'],
      [`two-${B}`, 'user:default/jane', 'dev-sessions:sessions'],
    ]);
  });

  it('applies deltas for created/changed and deleted sessions', async () => {
    const connection = fakeConnection();
    const provider = new DevSessionEntityProvider({
      logger: mockServices.logger.mock(),
      source: { list: async () => [] },
    });
    await provider.connect(connection);
    await provider.onChange({
      type: 'upsert',
      session: devSession(A, 'one', { state: 'provisioning' }),
    });
    await provider.onChange({
      type: 'delete',
      projectUuid: A,
      entityRef: `resource:default/one-${A}`,
    });
    expect(connection.applyMutation.mock.calls.map(c => c[0])).toEqual([
      {
        type: 'delta',
        added: [
          {
            entity: expect.objectContaining({ kind: 'Resource' }),
            locationKey: 'dev-sessions:sessions',
          },
        ],
        removed: [],
      },
      {
        type: 'delta',
        added: [],
        removed: [
          {
            entityRef: `resource:default/one-${A}`,
            locationKey: 'dev-sessions:sessions',
          },
        ],
      },
    ]);
  });

  it('runs the full refresh on its schedule and survives a failing source', async () => {
    const connection = fakeConnection();
    const logger = mockServices.logger.mock();
    let fn: () => Promise<void> = async () => {};
    const provider = new DevSessionEntityProvider({
      logger,
      source: {
        list: async () => {
          throw new Error('dev-sessions unavailable');
        },
      },
      schedule: {
        run: async (task: any) => {
          fn = task.fn;
        },
      } as any,
    });
    await provider.connect(connection);
    await fn();
    expect(connection.applyMutation).not.toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(
      'dev-sessions catalog refresh failed: dev-sessions unavailable',
    );
  });
});
