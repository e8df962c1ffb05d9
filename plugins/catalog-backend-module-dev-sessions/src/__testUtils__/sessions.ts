import {
  DevSession,
  devSessionEntityRef,
} from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** A ready session of a project as the dev-sessions backend lists it, owned by the payments team. */
export function devSession(
  uuid: string,
  projectId: string,
  extra: Partial<DevSession> = {},
): DevSession {
  const ep = (r: string) => ({
    url: `http://localhost:7007/api/dev-sessions/projects/${uuid}/open/${r}/`,
    internalUrl: `http://dev-session-${r}.${uuid}.svc.cluster.local:3000/`,
    path: `/${r}`,
  });
  return {
    projectUuid: uuid,
    projectId,
    owner: 'group:default/payments',
    namespace: uuid,
    releaseName: 'dev-session',
    chartVersion: '0.1.0',
    size: 'small',
    state: 'ready',
    cluster: 'local',
    endpoints: {
      preview: ep('preview'),
      chat: ep('chat'),
      vscode: ep('vscode'),
    },
    entityRef: devSessionEntityRef(projectId, uuid),
    createdAt: 'x',
    updatedAt: 'x',
    ...extra,
  };
}

/** n generated sessions with awkward-ish project names, owned by seven users. */
export function generateSessions(n: number, prefix = 'Project'): DevSession[] {
  return Array.from({ length: n }, (_, i) => {
    const hex = i.toString(16).padStart(12, '0');
    return devSession(
      `00000000-0000-4000-8000-${hex}`,
      `${prefix} ${i} – Überprüfung`,
      { owner: `user:default/user-${i % 7}` },
    );
  });
}
