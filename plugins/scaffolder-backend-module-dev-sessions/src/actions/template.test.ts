/*
 * templates/dev-session/template.yaml stays in step with the action: it calls dev-session:create
 * with known inputs only, and its output uses outputs the action really sets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import yaml from 'yaml';
import { createDevSessionCreateAction } from './create';

const file = path.resolve(
  __dirname,
  '../../../../templates/dev-session/template.yaml',
);
const template = yaml.parse(fs.readFileSync(file, 'utf8'));
const action = createDevSessionCreateAction({ sessions: {} as any });

describe('templates/dev-session/template.yaml', () => {
  it('is a v1beta3 Template named dev-session with a "Dev session" title', () => {
    expect(template.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
    expect(template.kind).toBe('Template');
    expect(template.metadata.title).toBe('Dev session');
  });

  it('passes only known inputs to dev-session:create', () => {
    const step = template.spec.steps.find(
      (s: any) => s.action === 'dev-session:create',
    );
    expect(step).toBeDefined();
    const known = Object.keys((action.schema!.input as any).properties);
    expect(Object.keys(step.input).every(k => known.includes(k))).toBe(true);
  });

  it('links to outputs the action sets', () => {
    const outputs = Object.keys((action.schema!.output as any).properties);
    const used = [
      ...JSON.stringify(template.spec.output).matchAll(/output\.(\w+)/g),
    ].map(m => m[1]);
    expect(used.length).toBeGreaterThanOrEqual(3);
    for (const u of used) expect(outputs).toContain(u);
  });

  it('offers the same sizes and name rules as the backend', () => {
    const props = Object.assign(
      {},
      ...template.spec.parameters.map((p: any) => p.properties),
    );
    expect(props.size.enum).toEqual(['small', 'medium', 'large']);
    const name = new RegExp(props.projectName.pattern, 'u');
    expect(name.test('Checkout service 2')).toBe(true);
    expect(name.test('Über-Projekt')).toBe(true);
    expect(name.test('a; rm -rf /')).toBe(false);
    expect(name.test('a,b=c')).toBe(false);
  });
});
