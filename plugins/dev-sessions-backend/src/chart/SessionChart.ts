import { InputError } from '@backstage/errors';
import { DevSessionSpec } from '@dev-sessions/backstage-plugin-dev-sessions-common';
import Ajv, { ValidateFunction } from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DevSessionsSettings } from '../config/settings';
import { ChartSource, Helm, HelmError } from '../helm/Helm';
import { SessionTargets, targetsFromManifest } from './endpoints';
import { parseManifest } from './manifest';
import { mergeValues } from './mergeValues';

/** A chart on disk, read once: what Helm installs, its version, defaults and schema. */
interface LoadedChart {
  source: ChartSource;
  version: string;
  defaults: Record<string, unknown>;
  validate?: ValidateFunction;
}

/**
 * A `fail` in the chart's templates (duplicate ports, a request above its limit, a volume on
 * the workspace path …) is a refusal of the values: a 400 with the chart's message. Any other
 * Helm error stays what it is.
 */
function refusedByChart(e: unknown): never {
  const m =
    e instanceof HelmError
      ? /execution error at \([^)]*\): (.+)/.exec(e.stderr)
      : null;
  if (m) throw new InputError(`Invalid values: ${m[1].trim()}`);
  throw e;
}

/** What a session's values render to, checked. */
export interface RenderedSession {
  values: Record<string, unknown>;
  manifests: string;
  /** The objects, as `Kind/name`. */
  objects: string[];
  /** Where the gateway reaches each role. */
  targets: SessionTargets;
  chartVersion: string;
}

function readJson(file: string): object | undefined {
  return fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))
    : undefined;
}

/**
 * The session chart: turns a request into chart values (policy, schema, caps) and renders them
 * (`helm template`, then the manifest check). A `chart.ref` is pulled once, so defaults, schema
 * and endpoints come from the very chart that is installed.
 */
export class SessionChart {
  private loading?: Promise<LoadedChart>;

  constructor(
    private readonly settings: DevSessionsSettings,
    private readonly helm: Helm,
  ) {}

  /** The chart, read (and for a reference pulled) on first use; retried after a failure. */
  load(): Promise<LoadedChart> {
    if (!this.loading) {
      this.loading = this.read().catch(e => {
        this.loading = undefined;
        throw e;
      });
    }
    return this.loading;
  }

  private async read(): Promise<LoadedChart> {
    const configured = this.settings.chart;
    const dir =
      configured.kind === 'path'
        ? configured.path
        : await this.helm.pull(configured);
    const chartYaml = path.join(dir, 'Chart.yaml');
    if (!fs.existsSync(chartYaml))
      throw new Error(`devSessions.chart: no Chart.yaml in ${dir}`);
    const schema = readJson(path.join(dir, 'values.schema.json'));
    const valuesFile = path.join(dir, 'values.yaml');
    return {
      source: { kind: 'path', path: dir },
      version: String(parseYaml(fs.readFileSync(chartYaml, 'utf8')).version),
      defaults: fs.existsSync(valuesFile)
        ? parseYaml(fs.readFileSync(valuesFile, 'utf8')) ?? {}
        : {},
      validate:
        schema && new Ajv({ allErrors: true, strict: false }).compile(schema),
    };
  }

  /**
   * Chart values for a request: platform defaults < the user's values (only the paths the
   * policy allows) < enforced platform values < what dev-sessions sets itself (project, owner,
   * size and the namespace guardrails). Throws a 400 naming the value path when the
   * user's values break the policy, the chart's schema or the caps.
   */
  async values(
    spec: DevSessionSpec,
    opts: {
      running?: boolean;
      /** The session's heartbeat Secret, for a chart that takes `activity.secretName`. */
      activitySecret?: string;
    } = {},
  ): Promise<Record<string, unknown>> {
    const { policy } = this.settings;
    const chart = await this.load();
    policy.checkUserValues(spec.values);
    const fixed: Record<string, unknown> = {
      project: { uuid: spec.projectUuid, id: spec.projectId },
      user: { id: spec.owner },
      size: spec.size,
      running: opts.running ?? true,
      // guardrails every session namespace gets; the platform tunes them in defaultValues
      networkPolicy: { enabled: true },
      quota: { enabled: true },
      limitRange: { enabled: true },
    };
    if (opts.activitySecret && chart.defaults.activity !== undefined)
      fixed.activity = { secretName: opts.activitySecret };
    const values = mergeValues(
      this.settings.defaultValues,
      spec.values,
      policy.enforced,
      fixed,
    );
    const effective = mergeValues(chart.defaults, values);
    if (chart.validate && !chart.validate(effective)) {
      const first = chart.validate.errors![0];
      const where = first.instancePath
        ? `.${first.instancePath.slice(1).replace(/\//g, '.')}`
        : '';
      const extra =
        first.keyword === 'additionalProperties'
          ? ` (${String(first.params.additionalProperty)})`
          : '';
      throw new InputError(`Invalid values${where}: ${first.message}${extra}`);
    }
    policy.checkCaps(effective, spec.values);
    return values;
  }

  /**
   * Builds the values and renders them (`helm template`), checks the manifest (kinds, namespace,
   * labels, host access) and reads the links from it; changes nothing. `built`: the values of
   * {@link SessionChart.values} for this spec, when the caller has them already.
   */
  async render(
    spec: DevSessionSpec,
    built?: Record<string, unknown>,
  ): Promise<RenderedSession> {
    const values = built ?? (await this.values(spec));
    const chart = await this.load();
    const namespace = spec.projectUuid;
    const manifests = await this.helm
      .template({
        release: this.settings.releaseName,
        namespace,
        chart: chart.source,
        values,
      })
      .catch(refusedByChart);
    const parsed = parseManifest(manifests);
    const objects = this.settings.manifestCheck.checkObjects(parsed, {
      namespace,
      projectUuid: spec.projectUuid,
    });
    return {
      values,
      manifests,
      objects,
      targets: targetsFromManifest(parsed),
      chartVersion: chart.version,
    };
  }

  /** What Helm installs: the configured directory, or the pulled copy of a reference. */
  async source(): Promise<ChartSource> {
    return (await this.load()).source;
  }
}
