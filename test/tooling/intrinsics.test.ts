/** The tests' intrinsic resolver (used by the moto driver and the template world). */
import { IntrinsicError, IntrinsicScope, resolveIntrinsics } from './intrinsics';

const scope: IntrinsicScope = {
  pseudo: {
    accountId: '123456789012',
    partition: 'aws',
    region: 'us-east-1',
    stackName: 'app',
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/app/1',
    urlSuffix: 'amazonaws.com',
  },
  mappings: { Domains: { aws: { signIn: 'signin.aws.amazon.com' } } },
  ref: (id) => {
    if (id === 'User') return 'alice';
    throw new IntrinsicError(`no resource ${id}`);
  },
  getAtt: (id, attribute) => `${id}:${attribute}`,
};
const resolve = (value: unknown) => resolveIntrinsics(value, scope);

describe('resolveIntrinsics', () => {
  test('Ref to a resource and to each pseudo parameter', () => {
    expect(
      resolve(
        [
          'User',
          'AWS::AccountId',
          'AWS::Partition',
          'AWS::Region',
          'AWS::StackName',
          'AWS::StackId',
          'AWS::URLSuffix',
        ].map((Ref) => ({ Ref })),
      ),
    ).toEqual(['alice', '123456789012', 'aws', 'us-east-1', 'app', scope.pseudo.stackId, 'amazonaws.com']);
  });

  test('Fn::GetAtt in both forms, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, nested', () => {
    expect(resolve({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe('Key:Arn');
    expect(resolve({ 'Fn::GetAtt': 'Db.Endpoint.Address' })).toBe('Db:Endpoint.Address');
    expect(
      resolve({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':user/x']],
      }),
    ).toBe('arn:aws:iam::123456789012:user/x');
    expect(resolve({ 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] })).toBe('b');
    expect(resolve({ 'Fn::FindInMap': ['Domains', { Ref: 'AWS::Partition' }, 'signIn'] })).toBe(
      'signin.aws.amazon.com',
    );
  });

  test('Fn::Sub with references, attributes, a variable map and escapes', () => {
    expect(resolve({ 'Fn::Sub': 'secretsmanager.${AWS::Region}.${AWS::URLSuffix}' })).toBe(
      'secretsmanager.us-east-1.amazonaws.com',
    );
    expect(resolve({ 'Fn::Sub': '${User}/${Key.Arn}/${!Literal}' })).toBe('alice/Key:Arn/${Literal}');
    expect(resolve({ 'Fn::Sub': ['${Name}-${User}', { Name: { Ref: 'AWS::StackName' } }] })).toBe('app-alice');
  });

  test('AWS::NoValue removes the property or list element', () => {
    expect(resolve({ A: { Ref: 'AWS::NoValue' }, B: ['x', { Ref: 'AWS::NoValue' }], C: 1 })).toStrictEqual({
      B: ['x'],
      C: 1,
    });
  });

  test('scalars become strings when asked (custom resource properties)', () => {
    expect(resolveIntrinsics({ Length: 24, Reset: true, List: [1] }, scope, { scalarsAsStrings: true })).toEqual({
      Length: '24',
      Reset: 'true',
      List: ['1'],
    });
  });

  test('fails naming an unsupported function, a missing mapping entry or an unknown reference', () => {
    expect(() => resolve({ 'Fn::ImportValue': 'SharedKey' })).toThrow(
      new IntrinsicError('the test resolver does not support Fn::ImportValue'),
    );
    expect(() => resolve({ 'Fn::If': ['C', 'a', 'b'] })).toThrow(
      new IntrinsicError('Fn::If: the scope has no template conditions'),
    );
    expect(() => resolve({ 'Fn::FindInMap': ['Domains', 'aws-cn', 'signIn'] })).toThrow(
      'Fn::FindInMap: no Domains.aws-cn.signIn in the template',
    );
    expect(() => resolve({ 'Fn::Sub': '${Nope}' })).toThrow('no resource Nope');
  });
});
