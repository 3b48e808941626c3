/** The checkov acknowledgements as written into the template, and the log groups' key option (no scanner needed). */
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AccountPasswordPolicy, ConsoleUser, HandlerSettings, LoginProfile } from '../../lib';
import { CHECKOV_REASONS, addCheckovSkips } from '../../lib/compliance/checkov';
import { STACK_ID_ENV, HANDOVER_BUS_ENV } from '../../lib/handler/contract';

const env = { account: '123456789012', region: 'eu-west-1' };
const newStack = () => new Stack(new App(), 'Stack', { env });

type Resources = Record<
  string,
  { Type: string; Metadata?: Record<string, unknown>; Properties?: Record<string, unknown> }
>;

function skipsOf(resources: Resources, type: string): string[][] {
  return Object.values(resources)
    .filter((r) => r.Type === type)
    .map((r) => ((r.Metadata?.checkov as { skip?: { id: string }[] })?.skip ?? []).map((s) => s.id).sort());
}

describe('checkov acknowledgements', () => {
  test('a custom-resource function acknowledges concurrency, dead-letter queue, VPC and its one environment variable', () => {
    // GIVEN / WHEN
    const s = newStack();
    new ConsoleUser(s, 'A', { userName: 'a' });
    // THEN
    const resources = Template.fromStack(s).toJSON().Resources as Resources;
    expect(skipsOf(resources, 'AWS::Lambda::Function')).toEqual([
      ['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117', 'CKV_AWS_173'],
    ]);
    expect(skipsOf(resources, 'AWS::Logs::LogGroup')).toEqual([['CKV_AWS_158']]);
    expect(skipsOf(resources, 'AWS::SecretsManager::Secret')).toEqual([['CKV_AWS_149']]);
  });

  test("the rotation function's environment variables are its stack's ID and its handover bus, acknowledged for CKV_AWS_173", () => {
    const s = newStack();
    new ConsoleUser(s, 'A', {
      userName: 'a',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    const t = Template.fromStack(s);
    const rotation = Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
      String(f.Properties.Description).includes('rotates'),
    )!;
    expect(rotation.Properties.Environment).toEqual({
      Variables: {
        [STACK_ID_ENV]: { Ref: 'AWS::StackId' },
        [HANDOVER_BUS_ENV]: { 'Fn::GetAtt': [expect.stringMatching(/^CdkConsoleUsersHandoverBus/), 'Arn'] },
      },
    });
    expect(rotation.Metadata.checkov.skip.map((x: { id: string }) => x.id).sort()).toEqual([
      'CKV_AWS_115',
      'CKV_AWS_116',
      'CKV_AWS_117',
      'CKV_AWS_173',
    ]);
    expect(rotation.Metadata.checkov.skip.find((x: { id: string }) => x.id === 'CKV_AWS_116').comment).toBe(
      CHECKOV_REASONS.deadLetterRotation,
    );
  });

  test('a secret with a customer managed key is not acknowledged', () => {
    const s = newStack();
    new ConsoleUser(s, 'A', { userName: 'a', encryptionKey: new kms.Key(s, 'Key') });
    expect(skipsOf(Template.fromStack(s).toJSON().Resources, 'AWS::SecretsManager::Secret')).toEqual([[]]);
  });

  test("the change-password policy of an imported user keeps cdk-nag's acknowledgement next to checkov's", () => {
    const s = newStack();
    new LoginProfile(s, 'Vendor', { user: iam.User.fromUserName(s, 'VendorUser', 'vendor') });
    const policy = Object.values(Template.fromStack(s).findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Users ?? []).includes('vendor'),
    )!;
    expect(policy.Metadata.checkov.skip).toEqual([{ id: 'CKV_AWS_40', comment: CHECKOV_REASONS.changePasswordOnUser }]);
    expect(JSON.stringify(s.node.findAll().map((c) => c.node.metadata))).toContain('AwsSolutions-IAM5[Resource::*]');
  });

  test('skips added twice merge by id and keep other checkov settings', () => {
    const s = newStack();
    const r = new CfnResource(s, 'R', { type: 'AWS::SNS::Topic' });
    r.addMetadata('checkov', { skip: [{ id: 'CKV_X', comment: 'Theirs.' }], other: true });
    r.addMetadata('cdk_nag', { rules_to_suppress: [] });
    addCheckovSkips(r, { CKV_Y: 'Ours.' });
    addCheckovSkips(r, { CKV_Y: 'Ours again.' });
    expect(r.getMetadata('checkov')).toEqual({
      other: true,
      skip: [
        { id: 'CKV_X', comment: 'Theirs.' },
        { id: 'CKV_Y', comment: 'Ours again.' },
      ],
    });
    expect(r.getMetadata('cdk_nag')).toEqual({ rules_to_suppress: [] });
  });
});

describe('logEncryptionKey', () => {
  test("encrypts the log groups of the handler, the rotation function and the password-policy function with the stack's key", () => {
    // GIVEN
    const s = newStack();
    const key = new kms.Key(s, 'LogKey');
    HandlerSettings.configure(s, { logEncryptionKey: key });
    // WHEN
    new ConsoleUser(s, 'A', {
      userName: 'a',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    new AccountPasswordPolicy(s, 'Policy');
    // THEN the three log groups use the key, and none acknowledges CKV_AWS_158
    const t = Template.fromStack(s);
    const logGroups = Object.values(t.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(3);
    for (const lg of logGroups) {
      expect(lg.Properties.KmsKeyId).toEqual({
        'Fn::GetAtt': [s.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'],
      });
      expect(lg.Metadata).toBeUndefined();
    }
  });

  test('lets CloudWatch Logs of the region use the key for log groups of this account only, in one statement', () => {
    const s = newStack();
    const key = new kms.Key(s, 'LogKey');
    new AccountPasswordPolicy(s, 'Policy');
    new ConsoleUser(s, 'A', {
      userName: 'a',
      passwordResetRequired: false,
      rotation: { automaticallyAfter: Duration.days(30) },
    });
    HandlerSettings.configure(s, { logEncryptionKey: key });
    const statements = Template.fromStack(s).toJSON().Resources[s.getLogicalId(key.node.defaultChild as kms.CfnKey)]
      .Properties.KeyPolicy.Statement as { Sid?: string }[];
    expect(statements.filter((st) => st.Sid === 'CdkConsoleUsersLogGroupEncryption')).toEqual([
      {
        Sid: 'CdkConsoleUsersLogGroupEncryption',
        Effect: 'Allow',
        Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*']],
            },
          },
        },
      },
    ]);
  });

  test("an imported key encrypts the AccountPasswordPolicy handler's log group", () => {
    const s = newStack();
    new AccountPasswordPolicy(s, 'Policy');
    HandlerSettings.configure(s, {
      logEncryptionKey: kms.Key.fromKeyArn(
        s,
        'Imported',
        'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      ),
    });
    Template.fromStack(s).hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    Template.fromStack(s).resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() }, 0);
  });

  test('fails when logEncryptionKey is an alias, naming the construct, the prop and the value', () => {
    const s = newStack();
    const alias = kms.Key.fromKeyArn(s, 'Alias', 'arn:aws:kms:eu-west-1:123456789012:alias/logs');
    const policy = new AccountPasswordPolicy(s, 'Policy');
    expect(() => HandlerSettings.configure(policy, { logEncryptionKey: alias })).toThrow(
      /^Stack\/Policy: HandlerSettings.configure: 'logEncryptionKey' must be a KMS key .*not accept an alias.*got a key with ARN arn:aws:kms:eu-west-1:123456789012:alias\/logs/,
    );
  });

  test('fails when logEncryptionKey is not a key at all', () => {
    const s = newStack();
    expect(() =>
      HandlerSettings.configure(s, { logEncryptionKey: logs.RetentionDays.ONE_DAY as unknown as kms.IKey }),
    ).toThrow(/^Stack: HandlerSettings.configure: 'logEncryptionKey' must be a KMS key .*got 1$/);
  });
});
