/**
 * `ConsoleUser`'s split of its props: the login profile options go to its `LoginProfile`, the rest
 * to the `iam.User`, and the compiler checks that the list of option keys is complete.
 */
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';
import { ConsoleUser } from '../../lib';
import { everyKeyOf } from '../../lib/login-profile/console-user';

const REPO = path.resolve(__dirname, '..', '..');
const CONSOLE_USER = path.join(REPO, 'lib', 'login-profile', 'console-user.ts');
const LOGIN_PROFILE = path.join(REPO, 'lib', 'login-profile', 'login-profile.ts');

interface Sample {
  readonly a?: string;
  readonly b?: number;
}

test('the login profile options go to the LoginProfile, the user props to the iam.User', () => {
  // GIVEN a ConsoleUser with user props and login profile options (one of them, passwordResetRequired,
  // is also a prop of iam.User, which refuses it without a password)
  const stack = new Stack(new App(), 'Split');
  const user = new ConsoleUser(stack, 'Vendor', {
    userName: 'vendor',
    path: '/vendors/',
    passwordResetRequired: true,
    passwordLength: 30,
    resetToken: 'first',
    rotation: { automaticallyAfter: Duration.days(30) },
  });
  const template = Template.fromStack(stack);
  // THEN the user has its props and no password or login profile of CloudFormation's
  template.hasResourceProperties('AWS::IAM::User', {
    UserName: 'vendor',
    Path: '/vendors/',
    LoginProfile: Match.absent(),
  });
  // ...and the options reach the login profile
  template.hasResourceProperties('Custom::ConsoleLoginProfile', {
    PasswordResetRequired: 'true',
    PasswordLength: '30',
    ResetToken: 'first',
  });
  expect(user.loginProfile.rotation).toEqual({ automaticallyAfter: Duration.days(30) });
});

test('consoleAccess: false reaches the login profile as ConsoleAccess "false", in the properties and the record', () => {
  // GIVEN a ConsoleUser with console access off
  const stack = new Stack(new App(), 'Off');
  const user = new ConsoleUser(stack, 'Vendor', { userName: 'vendor', consoleAccess: false });
  // THEN the user stays, its login profile resource says access is off, and the construct says so too
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::IAM::User', 1);
  template.hasResourceProperties('Custom::ConsoleLoginProfile', { ConsoleAccess: 'false' });
  const [profile] = Object.values(template.findResources('Custom::ConsoleLoginProfile'));
  expect(profile.Metadata['cdk-console-users:properties'].ConsoleAccess).toBe('false');
  expect(user.loginProfile.consoleAccess).toBe(false);
  expect(new ConsoleUser(new Stack(new App(), 'On'), 'On', { userName: 'on' }).loginProfile.consoleAccess).toBe(true);
});

describe('everyKeyOf', () => {
  test('returns the keys as given, in their order', () => {
    expect(everyKeyOf<Sample>()(['b', 'a'])).toEqual(['b', 'a']);
  });

  test('does not compile with a key left out, or with a key that is not one (checked by ts-jest)', () => {
    // @ts-expect-error 'b' is not listed
    expect(everyKeyOf<Sample>()(['a'])).toEqual(['a']);
    // @ts-expect-error 'c' is not a key of Sample
    expect(everyKeyOf<Sample>()(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });
});

/**
 * The compiler's errors in console-user.ts when login-profile.ts reads as `edit` makes it (the
 * files on disk are not changed). One program per call; later ones reuse the parsed files.
 */
function consoleUserErrors(
  edit: (source: string) => string,
  previous?: ts.Program,
): { errors: string[]; program: ts.Program } {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(REPO, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (path.resolve(fileName) !== LOGIN_PROFILE)
      return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    return ts.createSourceFile(fileName, edit(ts.sys.readFile(fileName)!), languageVersion, true);
  };
  const program = ts.createProgram([CONSOLE_USER], parsed.options, host, previous);
  const errors = ts
    .getPreEmitDiagnostics(program, program.getSourceFile(CONSOLE_USER))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { errors, program };
}

describe("ConsoleUser's list of login profile options", () => {
  const OPTIONS_END = /(export interface LoginProfileOptions \{[\s\S]*?)\n\}/;
  let asIs: { errors: string[]; program: ts.Program };
  beforeAll(() => {
    asIs = consoleUserErrors((source) => source);
  }, 120_000);

  test('compiles as it is, and fails to compile when LoginProfileOptions gains a key the list lacks', () => {
    // GIVEN the sources as they are
    expect(asIs.errors).toEqual([]);

    // WHEN LoginProfileOptions gains a key
    expect(OPTIONS_END.test(ts.sys.readFile(LOGIN_PROFILE)!)).toBe(true);
    const added = consoleUserErrors(
      (source) => source.replace(OPTIONS_END, '$1\n  readonly sessionDuration?: number;\n}'),
      asIs.program,
    );

    // THEN console-user.ts fails to compile, naming the key
    expect(added.errors).toEqual([expect.stringMatching(/unlistedKeys: "sessionDuration"/)]);
  }, 120_000);

  test('fails to compile when a listed key leaves LoginProfileOptions', () => {
    const source = ts.sys.readFile(LOGIN_PROFILE)!;
    const requireMfa = /\n  \/\*\*(?:(?!\/\*\*)[\s\S])*?readonly requireMfa\?: boolean;/;
    expect(requireMfa.test(source)).toBe(true);
    const removed = consoleUserErrors((s) => s.replace(requireMfa, ''), asIs.program);
    expect(removed.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/'"requireMfa"' is not assignable to type 'keyof LoginProfileOptions'/),
      ]),
    );
  }, 120_000);
});
