/** An error the Kubernetes API server answered with (as opposed to not answering at all). */
export function isApiException(
  e: unknown,
): e is { code: number; body?: unknown } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as any).code === 'number' &&
    (e as any).code >= 100
  );
}

/** Runs one Kubernetes API call; when the API server cannot be reached it throws a 503. */
export type ApiCall = <T>(fn: () => Promise<T>) => Promise<T>;
