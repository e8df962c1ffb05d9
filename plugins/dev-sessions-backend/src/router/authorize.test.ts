import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionRuleParams,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  DEV_SESSION_RESOURCE_TYPE,
  DevSession,
  devSessionCreatePermission,
  devSessionDeletePermission,
  devSessionReadPermission,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';
import { devSessionPolicyDecision } from '../policyDecision';
import { createDevSessionAuthorizer } from './authorize';

const ALICE = 'user:default/alice';
const credentials = mockCredentials.user(ALICE);
const owned = (projectUuid: string, owner: string): DevSession => ({
  projectUuid,
  projectId: projectUuid,
  owner,
  namespace: projectUuid,
  releaseName: 'dev-session',
  chartVersion: '0.1.0',
  size: 'small',
  state: 'ready',
  endpoints: {
    preview: { url: 'u', internalUrl: 'i', path: '/preview' },
    chat: { url: 'u', internalUrl: 'i', path: '/chat' },
    vscode: { url: 'u', internalUrl: 'i', path: '/vscode' },
  },
  entityRef: `resource:default/${projectUuid}`,
  cluster: 'test',
  createdAt: '',
  updatedAt: '',
});
const sessions = [
  owned('a', ALICE),
  owned('b', 'group:default/payments'),
  owned('c', 'user:default/bob'),
];

function conditional(
  params: PermissionRuleParams,
  rule = 'IS_OWNER',
): PolicyDecision {
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'dev-sessions',
    resourceType: DEV_SESSION_RESOURCE_TYPE,
    conditions: {
      rule,
      resourceType: DEV_SESSION_RESOURCE_TYPE,
      params,
    },
  };
}

function answering(decision: PolicyDecision) {
  return mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(() => ({
        result:
          decision.result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
    authorizeConditional: async queries => queries.map(() => decision),
  });
}

describe('createDevSessionAuthorizer', () => {
  it('sends a basic permission alone and a resource permission with its ref', async () => {
    const permissions = answering({ result: AuthorizeResult.ALLOW });
    const { authorize } = createDevSessionAuthorizer(permissions);
    await authorize(credentials, { permission: devSessionCreatePermission });
    await authorize(credentials, {
      permission: devSessionDeletePermission,
      resourceRef: 'a',
    });
    expect(permissions.authorize.mock.calls).toEqual([
      [[{ permission: devSessionCreatePermission }], { credentials }],
      [
        [{ permission: devSessionDeletePermission, resourceRef: 'a' }],
        { credentials },
      ],
    ]);
  });

  it('throws NotAllowedError naming the permission unless allowed', async () => {
    const { authorize } = createDevSessionAuthorizer(
      answering({ result: AuthorizeResult.DENY }),
    );
    const refused = authorize(credentials, {
      permission: devSessionReadPermission,
      resourceRef: 'a',
    });
    await expect(refused).rejects.toThrow(NotAllowedError);
    await expect(refused).rejects.toThrow('Not allowed: dev-session.read');
  });

  it('applies the conditions devSessionPolicyDecision returns for a list', async () => {
    const decision = devSessionPolicyDecision(
      { permission: devSessionReadPermission },
      {
        credentials,
        info: {
          userEntityRef: ALICE,
          ownershipEntityRefs: [ALICE, 'group:payments'],
        },
      },
    );
    expect(decision?.result).toBe(AuthorizeResult.CONDITIONAL);
    const { filter } = createDevSessionAuthorizer(answering(decision!));
    const visible = await filter(
      credentials,
      devSessionReadPermission,
      async () => sessions,
    );
    expect(visible.map(s => s.projectUuid)).toEqual(['a', 'b']);
  });

  it('returns everything on ALLOW and loads nothing on DENY', async () => {
    const all = createDevSessionAuthorizer(
      answering({ result: AuthorizeResult.ALLOW }),
    );
    expect(
      await all.filter(
        credentials,
        devSessionReadPermission,
        async () => sessions,
      ),
    ).toHaveLength(3);

    const load = jest.fn(async () => sessions);
    const none = createDevSessionAuthorizer(
      answering({ result: AuthorizeResult.DENY }),
    );
    await expect(
      none.filter(credentials, devSessionReadPermission, load),
    ).rejects.toThrow('Not allowed: dev-session.read');
    expect(load).not.toHaveBeenCalled();
  });

  it('turns malformed rule params into an InputError (400) and an unknown rule into an error', async () => {
    const bad = createDevSessionAuthorizer(
      answering(conditional({ claims: 'user:default/alice' })),
    );
    await expect(
      bad.filter(credentials, devSessionReadPermission, async () => sessions),
    ).rejects.toThrow(InputError);

    const unknown = createDevSessionAuthorizer(
      answering(conditional({ claims: [ALICE] }, 'IS_ADMIN')),
    );
    await expect(
      unknown.filter(
        credentials,
        devSessionReadPermission,
        async () => sessions,
      ),
    ).rejects.toThrow('Unexpected permission rule: IS_ADMIN');
  });
});
