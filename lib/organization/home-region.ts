/**
 * `HomeRegion`: a stack deployed to several regions of one account (a StackSet) creates its
 * resources in one region only, because IAM is global: two regions' stacks would otherwise fight
 * over the same users, login profiles, policies and the account's password policy.
 */
import {
  Annotations,
  AspectPriority,
  Aspects,
  Aws,
  CfnCondition,
  CfnOutput,
  CfnResource,
  Fn,
  IAspect,
  Names,
  Stack,
  Token,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { PropValidationError } from '../core/validation';

/** Props of `HomeRegion`. */
export interface HomeRegionProps {
  /**
   * The one region of each account where the stack's resources are created: a region name such as
   * `eu-west-1`, or a token that resolves to one at deploy time (a parameter).
   */
  readonly region: string;
}

/** A region name: two letters, then words and a number, separated by hyphens (`us-gov-west-1`). */
const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The `HomeRegion` of each stack that has one (weak: a stack and its app are not kept alive by it). */
const HOME_REGIONS = new WeakMap<Stack, HomeRegion>();

/** Where a resource of a stack with a `HomeRegion` exists. */
type Placement = 'home' | 'others' | 'every';

/**
 * Creates the resources and outputs of this stack only in one region of each account, for a stack
 * deployed to several regions (a StackSet): IAM users, login profiles, policies and the account
 * password policy are global, and two regions' stacks would fight over them.
 *
 * One per stack: a condition on `AWS::Region`, set on every resource and output (combined with a
 * condition already there), except `AWS::CDK::Metadata`, what `everyRegion` names, and the
 * forwarders of a `SignInAlerts` in the stack, which exist in every other region. Deploy the stack
 * to the home region too. See docs/organization.md ("One region per account").
 */
export class HomeRegion extends Construct {
  /** The `HomeRegion` of `scope`'s stack, if it has one. */
  public static of(scope: IConstruct): HomeRegion | undefined {
    return HOME_REGIONS.get(Stack.of(scope));
  }

  /** The home region, as given. */
  public readonly region: string;
  /** True in the home region: the condition of the stack's resources and outputs. */
  public readonly condition: CfnCondition;
  /** True in every other region: the condition of the sign-in event forwarders. */
  public readonly otherRegionsCondition: CfnCondition;

  private readonly stack: Stack;
  private readonly placements = new Map<IConstruct, Placement>();
  /** Our conditions combined with a condition that was there before, by placement and that condition. */
  private readonly conjunctions = new Map<string, CfnCondition>();

  constructor(scope: Construct, id: string, props: HomeRegionProps) {
    super(scope, id);
    this.stack = Stack.of(this);
    const other = HOME_REGIONS.get(this.stack);
    if (other !== undefined) {
      throw new PropValidationError(
        this,
        `stack ${this.stack.node.path} has a HomeRegion already (${other.node.path}); one per stack`,
      );
    }
    const region = props?.region;
    if (typeof region !== 'string' || (!Token.isUnresolved(region) && !REGION_NAME.test(region))) {
      throw new PropValidationError(
        this,
        `'region' must be a region name such as eu-west-1 (two letters, then words and a number, separated by hyphens) or a token, got ${JSON.stringify(region)}`,
      );
    }
    this.region = region;
    HOME_REGIONS.set(this.stack, this);
    this.condition = new CfnCondition(this, 'IsHomeRegion', {
      expression: Fn.conditionEquals(Aws.REGION, region),
    });
    this.otherRegionsCondition = new CfnCondition(this, 'IsOtherRegion', {
      expression: Fn.conditionNot(this.condition),
    });
    if (!Token.isUnresolved(this.stack.region) && !Token.isUnresolved(region) && this.stack.region !== region) {
      Annotations.of(this).addWarningV2(
        'cdk-console-users:homeRegionElsewhere',
        `this stack is for ${this.stack.region}, its home region is ${region}: it creates only what every other region needs`,
      );
    }

    const guard: IAspect = { visit: (node) => this.guard(node) };
    Aspects.of(this.stack).add(guard, { priority: AspectPriority.MUTATING });

    // Constructs of this stack made before this one that adapt to a home region (a SignInAlerts adds its forwarder).
    for (const c of this.stack.node.findAll()) {
      if (isHomeRegionAware(c) && Stack.of(c) === this.stack) c._joinHomeRegion(this);
    }
  }

  /**
   * Keeps the resources and outputs of `construct` (and of everything in it) in every region:
   * no condition from this `HomeRegion`. For your own constructs that each region needs (a
   * region's own event rule, say). They must not reference the stack's other resources, which
   * exist in the home region only: CloudFormation rejects such a template (cfn-lint W1001).
   */
  public everyRegion(construct: IConstruct): void {
    this.place(construct, 'every');
  }

  /**
   * Creates the resources of `construct` in every region but the home region.
   * @internal
   */
  public _otherRegionsOnly(construct: IConstruct): void {
    this.place(construct, 'others');
  }

  private place(construct: IConstruct, placement: Placement): void {
    if (Stack.of(construct) !== this.stack) {
      throw new PropValidationError(
        this,
        `${construct.node.path} is in stack ${Stack.of(construct).node.path}, not in this HomeRegion's stack ${this.stack.node.path}`,
      );
    }
    this.placements.set(construct, placement);
  }

  /** The placement of `node`: that of its nearest placed scope, the home region otherwise. */
  private placementOf(node: IConstruct): Placement {
    for (let c: IConstruct | undefined = node; c !== undefined; c = c.node.scope) {
      const placement = this.placements.get(c);
      if (placement !== undefined) return placement;
    }
    return 'home';
  }

  private guard(node: IConstruct): void {
    // A nested stack is a template of its own; its AWS::CloudFormation::Stack resource here is guarded.
    if (!(node instanceof CfnResource || node instanceof CfnOutput) || Stack.of(node) !== this.stack) return;
    if (node instanceof CfnResource && node.cfnResourceType === 'AWS::CDK::Metadata') return;
    const placement = this.placementOf(node);
    if (placement === 'every') return;
    if (node instanceof CfnResource) {
      node.cfnOptions.condition = this.conditionFor(placement, node.cfnOptions.condition);
    } else {
      node.condition = this.conditionFor(placement, node.condition);
    }
  }

  /** The condition of an element placed `placement` whose own condition is `existing`. */
  private conditionFor(placement: 'home' | 'others', existing: CfnCondition | undefined): CfnCondition {
    const ours = placement === 'home' ? this.condition : this.otherRegionsCondition;
    if (existing === undefined || existing === ours) return ours;
    if ([...this.conjunctions.values()].includes(existing)) return existing;
    const id = `${placement === 'home' ? 'IsHomeRegion' : 'IsOtherRegion'}And${Names.uniqueId(existing)}`;
    let both = this.conjunctions.get(id);
    if (both === undefined) {
      both = new CfnCondition(this, id, { expression: Fn.conditionAnd(ours, existing) });
      this.conjunctions.set(id, both);
    }
    return both;
  }
}

/**
 * A construct that adapts itself to the `HomeRegion` of its stack, made before or after it.
 * @internal
 */
export interface IHomeRegionAware {
  /** Called once the stack has a `HomeRegion` (again is harmless). */
  _joinHomeRegion(home: HomeRegion): void;
}

function isHomeRegionAware(c: IConstruct): c is IConstruct & IHomeRegionAware {
  return typeof (c as Partial<IHomeRegionAware>)._joinHomeRegion === 'function';
}
