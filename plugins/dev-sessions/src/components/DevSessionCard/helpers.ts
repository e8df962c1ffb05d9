import { DevSessionRole } from '@dev-sessions/backstage-plugin-dev-sessions-common';

/** How each container of a session is named on the card. */
export const ROLE_LABEL: Record<DevSessionRole, string> = {
  preview: 'Preview',
  chat: 'Chat',
  vscode: 'VS Code',
};

/** Link to the "Dev session" template with this project pre-filled. */
export function createSessionUrl(projectUuid: string, projectName: string) {
  const formData = JSON.stringify({ projectUuid, projectName });
  return `/create/templates/default/dev-session?formData=${encodeURIComponent(
    formData,
  )}`;
}
