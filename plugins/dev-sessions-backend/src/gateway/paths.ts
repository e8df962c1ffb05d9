/**
 * Why a path (with its query) may not be used inside a session, or undefined when it may: it
 * must be a path on the session's own origin, without `.`/`..` segments (also percent-encoded),
 * backslashes or a second leading slash (which browsers read as another host).
 */
export function workspacePathProblem(pathAndQuery: string): string | undefined {
  if (!pathAndQuery.startsWith('/'))
    return 'must be a path starting with "/" (no absolute URLs)';
  if (pathAndQuery.startsWith('//'))
    return 'must not start with "//" (that names another host)';
  const path = pathAndQuery.split(/[?#]/)[0];
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'has broken percent-encoding';
  }
  if (decoded.includes('\\')) return 'must not contain backslashes';
  if (decoded.split('/').some(seg => seg === '.' || seg === '..'))
    return 'must not contain "." or ".." segments';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded))
    return 'must not contain control characters';
  return undefined;
}
