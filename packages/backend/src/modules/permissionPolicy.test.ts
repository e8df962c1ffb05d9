import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AppPermissionPolicy } from './permissionPolicy';

const user = (ref: string, groups: string[] = []) =>
  ({
    identity: {
      type: 'user',
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...groups],
    },
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
  } as any);

const proxy = {
  permission: {
    type: 'basic',
    name: 'kubernetes.proxy',
    attributes: {},
  },
} as any;

describe('AppPermissionPolicy', () => {
  const policy = new AppPermissionPolicy(['group:default/platform']);

  it('keeps the Kubernetes proxy (the backend cluster credentials) for admins', async () => {
    expect(
      (await policy.handle(proxy, user('user:default/guest'))).result,
    ).toBe(AuthorizeResult.DENY);
    expect(
      (
        await policy.handle(
          proxy,
          user('user:default/root', ['group:default/platform']),
        )
      ).result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('allows what is not a dev-session or proxy permission, such as the Kubernetes tab', async () => {
    const read = {
      permission: {
        type: 'basic',
        name: 'kubernetes.resources.read',
        attributes: { action: 'read' },
      },
    } as any;
    expect((await policy.handle(read, user('user:default/guest'))).result).toBe(
      AuthorizeResult.ALLOW,
    );
  });
});
