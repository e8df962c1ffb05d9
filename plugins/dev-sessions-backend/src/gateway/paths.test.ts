import { workspacePathProblem } from './paths';

describe('workspacePathProblem', () => {
  it.each([
    '/',
    '/index.html',
    '/a/b/c/',
    '/?folder=/home/coder/project',
    '/a/b?c=1&d=../x',
    '/a?next=//evil.com',
    '/a#frag',
    '/files/my%20file.txt',
    '/%E2%82%AC',
    '/caf%C3%A9',
    '/a%2Fb',
    '/.hidden',
    '/..foo',
    '/foo..',
    '/a/.../b',
    '/a.b/c',
    '/%2e%2e%2e',
    '/a%252e%252e/b',
    '/a@b:c',
    '/~user',
  ])('accepts %j', path => {
    expect(workspacePathProblem(path)).toBeUndefined();
  });

  it.each([
    '',
    'a/b',
    '?x=1',
    '#x',
    'http://evil.com/',
    'https://evil.com/a',
    // eslint-disable-next-line no-script-url
    'javascript:alert(1)',
    '\\evil.com',
    ' /a',
  ])('refuses %j: not a path starting with "/"', path => {
    expect(workspacePathProblem(path)).toMatch(/must be a path starting with/);
  });

  it.each(['//evil.com', '//evil.com/a?b=1', '///a', '//'])(
    'refuses %j: a second leading slash names another host',
    path => {
      expect(workspacePathProblem(path)).toMatch(/must not start with "\/\/"/);
    },
  );

  it.each([
    '/.',
    '/..',
    '/./',
    '/../',
    '/a/./b',
    '/a/../b',
    '/a/..',
    '/a/..?x=1',
    '/a/..#x',
    '/a//../b',
    '/%2e',
    '/%2e%2e',
    '/%2E%2E',
    '/%2e%2E/',
    '/.%2e/x',
    '/%2e./x',
    '/a/%2e/b',
    '/a%2f..%2fb',
    '/a%2F%2E%2E%2Fb',
    '/a/%2e%2e?x=1',
  ])('refuses %j: a "." or ".." segment', path => {
    expect(workspacePathProblem(path)).toMatch(/"\." or "\.\." segments/);
  });

  it.each(['/a\\b', '/\\evil.com', '/a%5cb', '/a%5Cb', '/%5C%5Cevil.com'])(
    'refuses %j: a backslash',
    path => {
      expect(workspacePathProblem(path)).toMatch(/backslashes/);
    },
  );

  it.each([
    '/a%00b',
    '/a%0d%0aSet-Cookie:x=1',
    '/a%0A',
    '/a%09b',
    '/a%1f',
    '/a%7F',
    '/a\u0000b',
    '/a\nb',
    '/a\u007f',
  ])('refuses %j: a control character', path => {
    expect(workspacePathProblem(path)).toMatch(/control characters/);
  });

  it.each(['/%', '/a%2', '/a%zz', '/%E2%82', '/%C3', '/%ff'])(
    'refuses %j: broken percent-encoding',
    path => {
      expect(workspacePathProblem(path)).toMatch(/broken percent-encoding/);
    },
  );

  it('checks only the path, not the query or fragment', () => {
    expect(workspacePathProblem('/a?b=%')).toBeUndefined();
    expect(workspacePathProblem('/a?b=..&c=\\')).toBeUndefined();
    expect(workspacePathProblem('/a#/../x')).toBeUndefined();
    expect(workspacePathProblem('/a/../b?c=1')).toBeDefined();
  });
});
