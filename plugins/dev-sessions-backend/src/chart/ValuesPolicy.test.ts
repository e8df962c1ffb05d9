import { ConfigReader } from '@backstage/config';
import { imageRegistry, ValuesPolicy, valuePath } from './ValuesPolicy';

/** The medium size's pod budget, split by role (chart 0.4). */
const preset = {
  resources: {
    preview: { limits: { cpu: '400m', memory: '1Gi' } },
    chat: { limits: { cpu: '800m', memory: '1536Mi' } },
    vscode: { limits: { cpu: '800m', memory: '1536Mi' } },
  },
  storage: '10Gi',
};
const effective = (extra: Record<string, any> = {}) => ({
  size: 'medium',
  presets: { medium: preset },
  storage: {
    enabled: true,
    size: '',
    history: { enabled: false, size: '1Gi' },
  },
  containers: { preview: {}, chat: {}, vscode: {} },
  ...extra,
});

describe('ValuesPolicy', () => {
  const policy = new ValuesPolicy();

  it('lets users set the allowlisted paths', () => {
    expect(() =>
      policy.checkUserValues({
        containers: {
          preview: {
            command: ['npm'],
            args: ['run', 'dev'],
            env: [{ name: 'A_B', value: 'x' }],
          },
          chat: {
            image: { repository: 'node', tag: '22' },
            resources: { limits: { cpu: '1', memory: '2Gi' } },
          },
        },
      }),
    ).not.toThrow();
  });

  it('names the deepest path of what the platform owns', () => {
    expect(() =>
      policy.checkUserValues({ networkPolicy: { enabled: false } }),
    ).toThrow(
      /^Invalid values\.networkPolicy\.enabled: is set by the platform; users may set only containers\.\*\.command/,
    );
    expect(() =>
      policy.checkUserValues({ podLabels: { 'a.b/c': 'x' } }),
    ).toThrow(/^Invalid values\.podLabels\["a\.b\/c"\]: /);
  });

  it('refuses control characters anywhere, keys included', () => {
    expect(() =>
      policy.checkUserValues({
        containers: { chat: { args: ['ok', 'a\tb'] } },
      }),
    ).toThrow(
      /^Invalid values\.containers\.chat\.args\[1\]: control characters/,
    );
    expect(() =>
      policy.checkUserValues({ containers: { chat: { 'env\r': [] } } }),
    ).toThrow(/control characters are not allowed in keys/);
  });

  it('checks registries of user images', () => {
    expect(imageRegistry('node')).toBe('docker.io');
    expect(imageRegistry('codercom/code-server')).toBe('docker.io');
    expect(imageRegistry('ghcr.io/acme/app')).toBe('ghcr.io');
    expect(imageRegistry('localhost:5000/app')).toBe('localhost:5000');
    expect(imageRegistry('index.docker.io/library/node')).toBe('docker.io');
    expect(() =>
      policy.checkUserValues({
        containers: { chat: { image: { repository: 'ghcr.io/x/y' } } },
      }),
    ).toThrow(/registry ghcr\.io is not allowed \(allowed: docker\.io/);
    const mine = ValuesPolicy.fromConfig(
      new ConfigReader({ values: { allowedImageRegistries: ['ghcr.io'] } }),
    );
    expect(() =>
      mine.checkUserValues({
        containers: { chat: { image: { repository: 'ghcr.io/x/y' } } },
      }),
    ).not.toThrow();
    expect(() =>
      mine.checkUserValues({
        containers: { chat: { image: { repository: 'node' } } },
      }),
    ).toThrow(/docker\.io is not allowed/);
  });

  it("reads a size's pod budget split by role (chart 0.4), each role its share", () => {
    const budget = {
      presets: {
        medium: {
          resources: {
            preview: { limits: { cpu: '400m', memory: '1Gi' } },
            chat: { limits: { cpu: '800m', memory: '1536Mi' } },
            vscode: { limits: { cpu: '800m', memory: '1536Mi' } },
          },
          storage: '10Gi',
        },
      },
    };
    const tight = new ValuesPolicy(undefined, undefined, { cpu: '1.5' });
    expect(() => tight.checkCaps(effective(budget), {})).toThrow(
      "Invalid size: the session's cpu limits add up to 2 cores, above the platform's cap of 1.5",
    );
    const exact = new ValuesPolicy(undefined, undefined, {
      cpu: '2',
      memory: '4Gi',
    });
    expect(() => exact.checkCaps(effective(budget), {})).not.toThrow();
  });

  it('adds up the containers against the caps and names the path that broke them', () => {
    expect(() => policy.checkCaps(effective(), {})).not.toThrow();
    const big = {
      containers: {
        preview: {},
        chat: {},
        vscode: { resources: { limits: { cpu: '11' } } },
      },
    };
    expect(() => policy.checkCaps(effective(big), big)).toThrow(
      "Invalid values.containers.vscode.resources.limits.cpu: the session's cpu limits add up to 12.2 cores, above the platform's cap of 12",
    );
    const mem = {
      containers: {
        preview: {},
        chat: { resources: { limits: { memory: '24G' } } },
        vscode: {},
      },
    };
    expect(() => policy.checkCaps(effective(mem), mem)).toThrow(
      /memory limits add up to 24\.85Gi/,
    );
    const mem2 = {
      containers: {
        preview: {},
        chat: { resources: { limits: { memory: '22Gi' } } },
        vscode: {},
      },
    };
    expect(() => policy.checkCaps(effective(mem2), mem2)).toThrow(
      /memory limits add up to 24\.5Gi, above the platform's cap of 24Gi/,
    );
    const small = ValuesPolicy.fromConfig(
      new ConfigReader({ values: { caps: { cpu: '1.5' } } }),
    );
    expect(() => small.checkCaps(effective(), {})).toThrow(
      /^Invalid size: the session's cpu limits add up to 2 cores, above the platform's cap of 1\.5/,
    );
  });

  it('adds up the volumes against the storage cap', () => {
    const p = ValuesPolicy.fromConfig(
      new ConfigReader({ values: { caps: { storage: '10Gi' } } }),
    );
    expect(() => p.checkCaps(effective(), {})).not.toThrow();
    const withHistory = effective({
      storage: {
        enabled: true,
        size: '',
        history: { enabled: true, size: '1Gi' },
      },
    });
    expect(() => p.checkCaps(withHistory, {})).toThrow(
      /volumes add up to 11Gi, above the platform's cap of 10Gi/,
    );
  });

  it('refuses bad policy configuration at start-up', () => {
    expect(() =>
      ValuesPolicy.fromConfig(
        new ConfigReader({ values: { caps: { cpu: 'many' } } }),
      ),
    ).toThrow('devSessions.values.caps.cpu must be a Kubernetes quantity');
    expect(() =>
      ValuesPolicy.fromConfig(
        new ConfigReader({ values: { userSettable: ['containers..x'] } }),
      ),
    ).toThrow(/is not a dotted value path/);
  });

  it('writes value paths readably', () => {
    expect(valuePath(['containers', 'chat', 'env', 0, 'value'])).toBe(
      'values.containers.chat.env[0].value',
    );
    expect(valuePath(['podAnnotations', 'sim.dev-sessions.io/fail'])).toBe(
      'values.podAnnotations["sim.dev-sessions.io/fail"]',
    );
  });
});
