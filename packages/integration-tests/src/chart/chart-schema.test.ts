/*
 * values.schema.json rejects bad values before anything reaches the cluster, naming the field.
 */
import { baseValues, merge, template } from './render';

jest.setTimeout(60_000);

const cases: Array<[string, object, RegExp]> = [
  ['project UUID that is not a UUID', { project: { uuid: 'not-a-uuid' } }, /project\.uuid: Does not match pattern/],
  ['project UUID with shell metacharacters', { project: { uuid: '2f1c8f4e-6b7a-4d3e-9a51-0c2d7e8f9a10; rm -rf /' } }, /project\.uuid/],
  ['project UUID of the wrong type', { project: { uuid: 42 } }, /project\.uuid: Invalid type/],
  ['unknown top-level key', { replicaCount: 2 }, /Additional property replicaCount is not allowed/],
  ['port above 65535', { service: { preview: { port: 70000, path: '/preview' } } }, /service\.preview\.port: Must be less than or equal to 65535/],
  ['port 0', { service: { chat: { port: 0, path: '/chat' } } }, /service\.chat\.port: Must be greater than or equal to 1/],
  ['port as a string', { service: { vscode: { port: '8080', path: '/vscode' } } }, /service\.vscode\.port: Invalid type/],
  ['path without a leading slash', { service: { preview: { port: 3000, path: 'preview' } } }, /service\.preview\.path: Does not match pattern/],
  ['path with spaces', { service: { chat: { port: 3001, path: '/chat room' } } }, /service\.chat\.path/],
  ['unknown size', { size: 'huge' }, /size: size must be one of the following/],
  ['invalid storage size', { storage: { size: '10 gigs' } }, /storage\.size/],
  ['storage enabled as a string', { storage: { enabled: 'yes' } }, /storage\.enabled: Invalid type/],
  ['invalid CPU quantity', { resources: { limits: { cpu: 'two' } } }, /resources\.limits\.cpu/],
  ['invalid memory quantity', { resources: { limits: { memory: '4GB' } } }, /resources\.limits\.memory/],
  ['unknown ingress mode', { ingress: { mode: 'subdomain' } }, /ingress\.mode: ingress\.mode must be one of the following/],
  ['ingress host with a scheme', { ingress: { host: 'https://dev.example.com' } }, /ingress\.host: Does not match pattern/],
  ['image repository with spaces', { containers: { preview: { image: { repository: 'node alpine', tag: '22' } } } }, /containers\.preview\.image\.repository/],
  ['image tag with a shell injection', { containers: { chat: { image: { repository: 'node', tag: '22;echo' } } } }, /containers\.chat\.image\.tag/],
  ['secretEnvFrom with an invalid name', { secretEnvFrom: ['My_Secret'] }, /secretEnvFrom\.0/],
  ['runAsUser 0 (root)', { security: { runAsUser: 0 } }, /security\.runAsUser: Must be greater than or equal to 1/],
  ['unknown key inside a container', { containers: { vscode: { privileged: true } } }, /containers\.vscode: Additional property privileged is not allowed/],
];

describe('dev-session chart: values.schema.json', () => {
  it.each(cases)('rejects %s', async (_name, bad, message) => {
    const r = await template(merge(baseValues, bad));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(message);
  });

  it('accepts the defaults with a project UUID', async () => {
    const r = await template(baseValues);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
