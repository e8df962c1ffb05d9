import { mockServices } from '@backstage/backend-test-utils';
import { startDevSessionsTestBackend } from '@dev-sessions/integration-tests';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { devSessionConditions, isDevSessionOwner } from './permissions';
import { devSessionsPlugin } from './plugin';

const UUID = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';

describe('dev-session permissions', () => {
  it('answers 403 for every operation when the policy denies', async () => {
    const { server } = await startDevSessionsTestBackend({
      features: [
        devSessionsPlugin,
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ],
    });
    const put = await request(server)
      .put(`/api/dev-sessions/projects/${UUID}/session`)
      .send({ projectId: 'p' });
    expect(put.status).toBe(403);
    expect(put.body.error.message).toBe('Not allowed: dev-session.create');
    expect(
      (await request(server).get(`/api/dev-sessions/projects/${UUID}/session`))
        .status,
    ).toBe(403);
    expect(
      (
        await request(server).get(
          `/api/dev-sessions/projects/${UUID}/session/status`,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await request(server).delete(
          `/api/dev-sessions/projects/${UUID}/session`,
        )
      ).status,
    ).toBe(403);
    expect(
      (await request(server).get('/api/dev-sessions/sessions')).status,
    ).toBe(403);
  });

  it('rejects unauthenticated callers', async () => {
    const { server } = await startDevSessionsTestBackend({
      features: [devSessionsPlugin],
    });
    const res = await request(server)
      .get('/api/dev-sessions/sessions')
      .set('authorization', 'Bearer mock-none-token');
    expect(res.status).toBe(401);
  });

  it('IS_OWNER allows the owner (or their groups) and nobody else', () => {
    const session = { owner: 'group:default/payments' } as any;
    expect(
      isDevSessionOwner.apply(session, {
        claims: ['user:default/jane', 'group:default/payments'],
      }),
    ).toBe(true);
    expect(
      isDevSessionOwner.apply(session, { claims: ['user:default/jane'] }),
    ).toBe(false);
    expect(
      isDevSessionOwner.toQuery({ claims: ['user:default/jane'] }),
    ).toEqual({ owners: ['user:default/jane'] });
    expect(
      devSessionConditions.isDevSessionOwner({ claims: ['user:default/jane'] }),
    ).toEqual({
      rule: 'IS_OWNER',
      resourceType: 'dev-session',
      params: { claims: ['user:default/jane'] },
    });
  });
});
