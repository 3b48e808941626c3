/** The rotation function's checks that need no AWS: which function ARN is "this function". */
import * as checks from '../../lambda/rotation/checks';

describe('unqualifiedFunctionArn', () => {
  test.each([
    ['arn:aws:lambda:us-east-1:123456789012:function:rotor', 'arn:aws:lambda:us-east-1:123456789012:function:rotor'],
    ['arn:aws:lambda:us-east-1:123456789012:function:rotor:7', 'arn:aws:lambda:us-east-1:123456789012:function:rotor'],
    [
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:rotor:live',
      'arn:aws-cn:lambda:cn-north-1:123456789012:function:rotor',
    ],
  ])('of %s is %s', (arn, unqualified) => {
    expect(checks.unqualifiedFunctionArn(arn)).toBe(unqualified);
  });
});

describe('requireRotationBySecretsManager', () => {
  const secret = (rotationLambdaArn?: string) => ({
    arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf',
    tags: {},
    versions: {},
    rotationEnabled: true,
    rotationLambdaArn,
  });
  const self = 'arn:aws:lambda:us-east-1:123456789012:function:rotor';

  test('accepts this function, called through an alias or version, or configured with one', () => {
    expect(() => checks.requireRotationBySecretsManager(secret(self), `${self}:live`)).not.toThrow();
    expect(() => checks.requireRotationBySecretsManager(secret(`${self}:3`), self)).not.toThrow();
  });

  test('fails when the configured function only shares a prefix of the name', () => {
    expect(() => checks.requireRotationBySecretsManager(secret(`${self}-copy`), self)).toThrow(
      /is rotated by .*function:rotor-copy, not by this function/,
    );
  });

  test('fails when the invocation names no function', () => {
    expect(() => checks.requireRotationBySecretsManager(secret(self), undefined)).toThrow(
      /the invocation names no function ARN/,
    );
  });

  test('fails when the function has no stack ID to compare with', () => {
    expect(() => checks.requireOwnStack(secret(self), undefined)).toThrow(
      /the function has no CDK_CONSOLE_USERS_STACK_ID/,
    );
  });
});
