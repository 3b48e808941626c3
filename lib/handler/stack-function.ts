/** The shape of a stack's singleton function: the function, its fixed policy, its per-resource permissions. */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NAG_REASONS, acknowledgeAccountWideActions } from '../compliance/nag';
import { PackedStatement, PermissionPacker } from '../permissions/permission-packer';
import { HandlerFunction, HandlerFunctionProps } from './handler-function';

/** What differs between the stack functions. */
export interface StackFunctionProps extends HandlerFunctionProps {
  /** The statements every use of the function needs (the inline policy `HandlerPolicy`); the first holds the `"*"`. */
  readonly statements: iam.PolicyStatement[];
  /** Why the `"*"` of `statements` is acknowledged. */
  readonly accountWideReason: (typeof NAG_REASONS)['accountPasswordPolicyRead' | 'rotationPasswordPolicyRead'];
  /** The per-resource permissions: construct id prefix, description and statement shapes of the packed policies. */
  readonly permissions: {
    readonly id: string;
    readonly description: string;
    readonly statements: readonly PackedStatement[];
  };
}

/**
 * A function of which a stack has one (`Handler`, built when the stack's `HandlerSettings` are
 * final), the inline policy `HandlerPolicy` with what every use needs, and customer managed
 * policies that grow one resource at a time (`PermissionPacker`). Role and policies exist from
 * construction, so grants and resource policies can name them.
 */
export abstract class StackFunction extends Construct {
  /** The function (its role exists now, the function itself once the settings are final). */
  public readonly handler: HandlerFunction;
  /** The inline policy with the permissions every use of the function needs. */
  public readonly policy: iam.Policy;
  /** The per-resource permissions. */
  protected readonly permissions: PermissionPacker;

  protected constructor(scope: Stack, id: string, props: StackFunctionProps) {
    super(scope, id);
    this.handler = new HandlerFunction(this, 'Handler', props);
    this.policy = new iam.Policy(this, 'HandlerPolicy', { roles: [this.handler.role], statements: props.statements });
    acknowledgeAccountWideActions(this.policy, props.accountWideReason);
    this.permissions = new PermissionPacker(
      this,
      props.permissions.id,
      props.permissions.description,
      this.handler.role,
      props.permissions.statements,
    );
  }
}
