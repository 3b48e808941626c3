/**
 * The driver's account, region and Conditions, at unit level: templates of placeholder resources
 * only (roles, topics), which the driver deploys without calling moto (test/tooling/driver.ts).
 * What moto makes of the account and region is in account-region.integ.test.ts.
 */
import { Driver, DriverError, TemplateJson, partitionOf } from './driver';
import { FakeAws } from './fake-aws';
import { IntrinsicError, IntrinsicScope, evaluateConditions } from './intrinsics';
import { TemplateWorld } from './template-world';

/** Never reached: placeholder resources make no AWS call. */
const endpoint = 'http://127.0.0.1:9';

const pseudoRefs = {
  Account: { Ref: 'AWS::AccountId' },
  Region: { Ref: 'AWS::Region' },
  Partition: { Ref: 'AWS::Partition' },
  Suffix: { Ref: 'AWS::URLSuffix' },
  StackName: { Ref: 'AWS::StackName' },
  StackId: { Ref: 'AWS::StackId' },
};

/** A home-region template: the IAM part only in the home region, a forwarder everywhere. */
const homeRegion: TemplateJson = {
  Parameters: { HomeRegion: { Default: 'eu-west-1' } },
  Conditions: {
    IsHome: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'HomeRegion' }] },
    NotHome: { 'Fn::Not': [{ Condition: 'IsHome' }] },
  },
  Resources: {
    Role: { Type: 'AWS::IAM::Role', Condition: 'IsHome', Properties: { Name: 'home-role' } },
    Forwarder: {
      Type: 'AWS::SNS::Topic',
      Properties: {
        Target: { 'Fn::If': ['IsHome', { 'Fn::GetAtt': ['Role', 'Arn'] }, { Ref: 'AWS::NoValue' }] },
        Where: { 'Fn::If': ['NotHome', 'elsewhere', 'home'] },
      },
    },
  },
  Outputs: {
    RoleArn: { Condition: 'IsHome', Value: { 'Fn::GetAtt': ['Role', 'Arn'] } },
    Where: { Value: { 'Fn::If': ['IsHome', 'home', 'elsewhere'] } },
  },
};

describe('account and region per driver', () => {
  test('the pseudo parameters resolve to the driver account, region and its partition', async () => {
    const template: TemplateJson = { Resources: { Role: { Type: 'AWS::IAM::Role', Properties: pseudoRefs } } };
    const cases = [
      { options: {}, expected: ['123456789012', 'us-east-1', 'aws', 'amazonaws.com'] },
      {
        options: { account: '111111111111', region: 'eu-west-1' },
        expected: ['111111111111', 'eu-west-1', 'aws', 'amazonaws.com'],
      },
      {
        options: { account: '222222222222', region: 'cn-north-1' },
        expected: ['222222222222', 'cn-north-1', 'aws-cn', 'amazonaws.com.cn'],
      },
      {
        options: { region: 'us-gov-west-1' },
        expected: ['123456789012', 'us-gov-west-1', 'aws-us-gov', 'amazonaws.com'],
      },
    ];
    for (const { options, expected } of cases) {
      const driver = new Driver({ endpoint, stackName: 'Members', ...options });
      await driver.deploy(template);
      const props = driver.resources('AWS::IAM::Role')[0].properties;
      const [account, region, partition] = expected;
      expect([props.Account, props.Region, props.Partition, props.Suffix, props.StackName]).toEqual([
        ...expected,
        'Members',
      ]);
      expect(props.StackId).toMatch(
        new RegExp(`^arn:${partition}:cloudformation:${region}:${account}:stack/Members/[0-9a-f-]{36}$`),
      );
    }
  });

  test('a function placeholder has a Lambda ARN of the driver account and region', async () => {
    const driver = new Driver({ endpoint, account: '111111111111', region: 'eu-central-1' });
    await driver.deploy({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'handler' } },
        Role: { Type: 'AWS::IAM::Role', Properties: { Token: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
      },
    });
    expect(driver.resources('AWS::IAM::Role')[0].properties.Token).toBe(
      'arn:aws:lambda:eu-central-1:111111111111:function:handler',
    );
  });

  test('a malformed account or region fails naming it', () => {
    expect(() => new Driver({ endpoint, account: '1234' })).toThrow(
      new DriverError('account 1234: an account ID has 12 digits'),
    );
    expect(() => new Driver({ endpoint, region: 'Europe' })).toThrow(
      new DriverError('region Europe: not a region name'),
    );
    expect(partitionOf('eu-west-1').partition).toBe('aws');
  });
});

describe('evaluateConditions', () => {
  const scope = (region: string, parameters: Record<string, unknown> = {}): IntrinsicScope => ({
    pseudo: {
      accountId: '111111111111',
      region,
      partition: 'aws',
      stackName: 's',
      stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
      urlSuffix: 'amazonaws.com',
    },
    mappings: { Homes: { aws: { region: 'eu-west-1' } } },
    ref: (name) => {
      if (name in parameters) return parameters[name];
      throw new IntrinsicError(`no parameter ${name}`);
    },
    getAtt: () => {
      throw new IntrinsicError('no resources in conditions');
    },
  });
  const conditions = {
    IsHome: {
      'Fn::Equals': [{ Ref: 'AWS::Region' }, { 'Fn::FindInMap': ['Homes', { Ref: 'AWS::Partition' }, 'region'] }],
    },
    Enabled: { 'Fn::Equals': [{ Ref: 'Enable' }, 'true'] },
    HomeAndEnabled: { 'Fn::And': [{ Condition: 'IsHome' }, { Condition: 'Enabled' }] },
    HomeOrEnabled: { 'Fn::Or': [{ Condition: 'IsHome' }, { Condition: 'Enabled' }] },
    NotHome: { 'Fn::Not': [{ Condition: 'IsHome' }] },
    Nested: { 'Fn::And': [{ 'Fn::Not': [{ Condition: 'NotHome' }] }, { 'Fn::Equals': ['a', 'a'] }] },
  };

  test.each([
    [
      'eu-west-1',
      'true',
      { IsHome: true, Enabled: true, HomeAndEnabled: true, HomeOrEnabled: true, NotHome: false, Nested: true },
    ],
    [
      'eu-west-1',
      'false',
      { IsHome: true, Enabled: false, HomeAndEnabled: false, HomeOrEnabled: true, NotHome: false, Nested: true },
    ],
    [
      'us-east-1',
      'true',
      { IsHome: false, Enabled: true, HomeAndEnabled: false, HomeOrEnabled: true, NotHome: true, Nested: false },
    ],
    [
      'us-east-1',
      'false',
      { IsHome: false, Enabled: false, HomeAndEnabled: false, HomeOrEnabled: false, NotHome: true, Nested: false },
    ],
  ])('in %s with Enable=%s', (region, enable, expected) => {
    expect(evaluateConditions(conditions, scope(region, { Enable: enable }))).toEqual(expected);
  });

  test('fails loudly on what it cannot evaluate', () => {
    const s = scope('eu-west-1');
    const fails = (c: Record<string, unknown>) => () => evaluateConditions(c, s);
    expect(fails({ C: { 'Fn::Contains': [['a'], 'a'] } })).toThrow(
      /condition C: .*Fn::Contains.* is not a condition function/,
    );
    expect(fails({ C: 'true' })).toThrow(/condition C: "true" is not a condition function/);
    expect(fails({ A: { Condition: 'B' }, B: { 'Fn::Not': [{ Condition: 'A' }] } })).toThrow(
      'circular condition: A -> B -> A',
    );
    expect(fails({ C: { Condition: 'Missing' } })).toThrow("condition Missing is not in the template's Conditions");
    expect(fails({ C: { 'Fn::Equals': ['a'] } })).toThrow('condition C: Fn::Equals takes 2 elements, not ["a"]');
    expect(fails({ C: { 'Fn::And': [{ Condition: 'D' }] }, D: { 'Fn::Equals': ['a', 'a'] } })).toThrow(
      'condition C: Fn::And takes 2 to 10 elements',
    );
    expect(fails({ C: { 'Fn::Equals': [{ Ref: 'Nope' }, 'a'] } })).toThrow('condition C: no parameter Nope');
    expect(fails({ C: { 'Fn::Equals': [{ 'Fn::GetAtt': ['Role', 'Arn'] }, 'a'] } })).toThrow(
      'condition C: no resources in conditions',
    );
  });
});

describe('the driver honours Conditions', () => {
  test('in the home region: the conditioned resource and output exist, Fn::If takes the true branch', async () => {
    const driver = new Driver({ endpoint, account: '111111111111', region: 'eu-west-1' });
    await driver.deploy(homeRegion);
    expect(driver.conditionValues()).toEqual({ IsHome: true, NotHome: false });
    const role = driver.resources('AWS::IAM::Role');
    expect(role).toHaveLength(1);
    const roleArn = `arn:aws:placeholder:eu-west-1:111111111111:${role[0].physicalId}`;
    expect(driver.resources('AWS::SNS::Topic')[0].properties).toStrictEqual({ Target: roleArn, Where: 'home' });
    expect(driver.outputs()).toStrictEqual({ RoleArn: roleArn, Where: 'home' });
  });

  test('elsewhere: the conditioned resource and output are left out, AWS::NoValue drops the property', async () => {
    const driver = new Driver({ endpoint, account: '111111111111', region: 'us-east-2' });
    await driver.deploy(homeRegion);
    expect(driver.conditionValues()).toEqual({ IsHome: false, NotHome: true });
    expect(driver.resources('AWS::IAM::Role')).toEqual([]);
    expect(driver.resources('AWS::SNS::Topic')[0].properties).toStrictEqual({ Where: 'elsewhere' });
    expect(driver.outputs()).toStrictEqual({ Where: 'elsewhere' });
  });

  test('parameter values given to the driver override the defaults', async () => {
    const driver = new Driver({ endpoint, region: 'us-east-1', parameters: { HomeRegion: 'us-east-1' } });
    await driver.deploy(homeRegion);
    expect(driver.resources('AWS::IAM::Role')).toHaveLength(1);
    const noDefault = new Driver({ endpoint });
    await expect(noDefault.deploy({ ...homeRegion, Parameters: { HomeRegion: {} } })).rejects.toThrow(
      new DriverError('parameter HomeRegion has no Default and the driver was given no value'),
    );
  });

  test('a condition that turns false on an update removes its resource; true again creates it anew', async () => {
    const driver = new Driver({ endpoint, parameters: { HomeRegion: 'us-east-1' } });
    await driver.deploy(homeRegion);
    const first = driver.physicalId('Role');
    const elsewhere = { ...homeRegion, Parameters: { HomeRegion: { Default: 'eu-west-1' } } };
    const moved = new Driver({ endpoint });
    await moved.deploy(elsewhere);
    expect(moved.resources('AWS::IAM::Role')).toEqual([]);
    await driver.deploy({
      ...homeRegion,
      Conditions: { ...homeRegion.Conditions, IsHome: { 'Fn::Equals': ['a', 'b'] } },
    });
    expect(driver.resources('AWS::IAM::Role')).toEqual([]);
    await driver.deploy(homeRegion);
    expect(driver.physicalId('Role')).not.toBe(first);
  });

  test('a resource or output that stays and references a left-out one fails before anything is created', async () => {
    const cases: [string, TemplateJson, string][] = [
      [
        'Ref',
        {
          ...homeRegion,
          Resources: { ...homeRegion.Resources, User: { Type: 'AWS::SNS::Topic', Properties: { R: { Ref: 'Role' } } } },
        },
        'resource User references Role, which is not created (its condition IsHome is false); CloudFormation rejects such a template',
      ],
      [
        'Fn::Sub',
        {
          ...homeRegion,
          Resources: {
            ...homeRegion.Resources,
            User: { Type: 'AWS::SNS::Topic', Properties: { R: { 'Fn::Sub': 'x-${Role.Arn}' } } },
          },
        },
        'resource User references Role',
      ],
      [
        'DependsOn',
        {
          ...homeRegion,
          Resources: { ...homeRegion.Resources, User: { Type: 'AWS::SNS::Topic', DependsOn: ['Role'] } },
        },
        'resource User references Role',
      ],
      [
        'the taken branch of Fn::If',
        {
          ...homeRegion,
          Resources: {
            ...homeRegion.Resources,
            User: { Type: 'AWS::SNS::Topic', Properties: { R: { 'Fn::If': ['NotHome', { Ref: 'Role' }, 'x'] } } },
          },
        },
        'resource User references Role',
      ],
      [
        'an output',
        { ...homeRegion, Outputs: { Arn: { Value: { 'Fn::GetAtt': ['Role', 'Arn'] } } } },
        'output Arn references Role',
      ],
    ];
    for (const [, template, message] of cases) {
      const driver = new Driver({ endpoint, region: 'us-east-2' });
      await expect(driver.deploy(template)).rejects.toThrow(message);
      expect(driver.resources('AWS::SNS::Topic')).toEqual([]);
    }
  });

  test('a reference in the untaken branch of Fn::If is fine', async () => {
    const driver = new Driver({ endpoint, region: 'us-east-2' });
    await driver.deploy({
      ...homeRegion,
      Resources: {
        ...homeRegion.Resources,
        User: { Type: 'AWS::SNS::Topic', Properties: { R: { 'Fn::If': ['IsHome', { Ref: 'Role' }, 'none'] } } },
      },
    });
    expect(driver.physicalId('User')).toMatch(/^User-/);
    expect(driver.resources('AWS::SNS::Topic').find((t) => t.logicalId === 'User')?.properties).toEqual({ R: 'none' });
  });

  test('fails naming an unknown Condition of a resource, an Fn::If condition or a DependsOn target', async () => {
    const driver = new Driver({ endpoint });
    await expect(driver.deploy({ Resources: { Role: { Type: 'AWS::IAM::Role', Condition: 'Nope' } } })).rejects.toThrow(
      new DriverError("resource Role: Condition Nope is not in the template's Conditions"),
    );
    await expect(
      driver.deploy({
        Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { A: { 'Fn::If': ['Nope', 1, 2] } } } },
      }),
    ).rejects.toThrow(new DriverError("Fn::If: no condition Nope in the template's Conditions"));
    await expect(
      driver.deploy({ Resources: { Role: { Type: 'AWS::IAM::Role', DependsOn: 'Ghost' } } }),
    ).rejects.toThrow(new DriverError('resource Role DependsOn Ghost, which is not in the template'));
    await expect(driver.deploy({ Conditions: { C: { 'Fn::Contains': [['a'], 'a'] } }, Resources: {} })).rejects.toThrow(
      DriverError,
    );
  });
});

describe('the template world (the fake) honours Conditions too', () => {
  test('a resource whose condition is false is not created in the fake; Fn::If picks its branch', () => {
    const template = {
      Parameters: { HomeRegion: { Default: 'us-east-1' } },
      Conditions: { IsHome: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'HomeRegion' }] } },
      Resources: {
        Home: { Type: 'AWS::IAM::User', Condition: 'IsHome', Properties: { UserName: 'home' } },
        Away: { Type: 'AWS::IAM::User', Condition: 'IsAway', Properties: { UserName: 'away' } },
      },
    };
    const away = {
      ...template,
      Conditions: { ...template.Conditions, IsAway: { 'Fn::Not': [{ Condition: 'IsHome' }] } },
    };
    const fake = new FakeAws();
    const world = new TemplateWorld(away, fake);
    expect(world.conditions).toEqual({ IsHome: true, IsAway: false });
    expect([...fake.users.keys()]).toEqual(['home']);
    expect(world.resolve({ 'Fn::If': ['IsAway', { Ref: 'Away' }, { Ref: 'Home' }] })).toBe('home');
    expect(() => world.resolve({ Ref: 'Away' })).toThrow('the template has no resource Away');
    expect(() => new TemplateWorld(template, new FakeAws())).toThrow(
      "no condition IsAway in the template's Conditions",
    );
  });
});
