import defaultExport, {
  ANNOTATION_DEV_SESSION_PROJECT_UUID,
  DEV_SESSION_ROLES,
  devSessionPermissions,
  isProjectUuid,
  normalizeEntityRef,
} from './index';

describe('dev-sessions-common', () => {
  it('recognises project UUIDs and nothing else', () => {
    expect(isProjectUuid('2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10')).toBe(true);
    expect(isProjectUuid('2F1C8F4E-6B7A-4D3E-9A51-0C2D7E8F9A10')).toBe(true);
    for (const bad of [
      '',
      'not-a-uuid',
      '2f1c8f4e6b7a4d3e9a510c2d7e8f9a10',
      '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10; rm -rf /',
      ' 2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10',
      '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a1g',
      42,
      undefined,
    ]) {
      expect(isProjectUuid(bad)).toBe(false);
    }
  });

  it('defines create, read, update, delete and admin permissions with distinct names', () => {
    const names = devSessionPermissions.map(p => p.name);
    expect(names).toEqual([
      'dev-session.create',
      'dev-session.read',
      'dev-session.update',
      'dev-session.delete',
      'dev-session.admin',
    ]);
    expect(devSessionPermissions[2]).toMatchObject({
      type: 'resource',
      resourceType: 'dev-session',
    });
    // the installation-wide view has no resource
    expect(devSessionPermissions[4]).toMatchObject({ type: 'basic' });
  });

  it('exposes the same things through the default export', () => {
    expect(defaultExport.ANNOTATION_DEV_SESSION_PROJECT_UUID).toBe(
      ANNOTATION_DEV_SESSION_PROJECT_UUID,
    );
    expect(defaultExport.DEV_SESSION_ROLES).toEqual(DEV_SESSION_ROLES);
  });
});

import { devSessionEntityName, devSessionEntityRef } from './entity';

describe('devSessionEntityName', () => {
  const uuid = '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10';
  const valid = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  it.each([
    ['Checkout Service', `checkout-service-${uuid}`],
    ['Über Projekt №2 — ß', `uber-projekt-no2-${uuid}`],
    ['日本語のプロジェクト', `dev-session-${uuid}`],
    ['  --weird__name!!  ', `weird-name-${uuid}`],
    ['a'.repeat(300), `${'a'.repeat(26)}-${uuid}`],
    ['$(rm -rf /); DROP TABLE', `rm-rf-drop-table-${uuid}`],
    [uuid, `dev-session-${uuid}`],
    [uuid.toUpperCase(), `dev-session-${uuid}`],
    ['', `dev-session-${uuid}`],
  ])('derives a valid, stable name from %p', (projectId, expected) => {
    const name = devSessionEntityName(projectId, uuid);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(valid);
    expect(devSessionEntityName(projectId, uuid)).toBe(name);
    expect(name).toBe(expected);
  });

  it('keeps the full UUID and makes a ref', () => {
    expect(devSessionEntityRef('Checkout', uuid)).toBe(
      `resource:default/checkout-${uuid}`,
    );
    expect(devSessionEntityName('Checkout', uuid.toUpperCase())).toContain(
      uuid,
    );
  });

  it('normalises owner entity refs for storing and comparing', () => {
    expect(normalizeEntityRef('user:jane')).toBe('user:default/jane');
    expect(normalizeEntityRef('User:Default/Jane')).toBe('user:default/jane');
    expect(normalizeEntityRef('jane')).toBe('user:default/jane');
    expect(normalizeEntityRef('payments', 'group')).toBe(
      'group:default/payments',
    );
    expect(normalizeEntityRef('group:dev/payments')).toBe('group:dev/payments');
    expect(normalizeEntityRef('user:development/guest')).toBe(
      'user:development/guest',
    );
  });
});
