/**
 * The stack's handover bus: the EventBridge bus the library's functions publish the handover event
 * on (`contract.ts`), whose resource policy refuses `events:PutEvents` to every principal but those
 * functions' roles, so that a consumer can trust what arrives there (docs/handover.md, "Trust").
 */
import { Aws, Fn, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { stackSingleton } from '../core/stack-singleton';
import { HANDOVER_BUS_ENV } from '../handler/contract';
import type { HandlerFunction } from '../handler/handler-function';

/** Sid of the bus policy's statement that refuses everyone but the library's functions. */
export const ONLY_LIBRARY_PUBLISHES_SID = 'OnlyCdkConsoleUsersFunctionsPublish';
/** Sid of the identity statement that lets a library function publish on the bus. */
export const PUBLISH_SID = 'PublishHandoverEvents';

/**
 * One per stack, created with the first library function that issues passwords (the login-profile
 * handler, the rotation function), when that function's role is: each such function registers
 * itself (`addPublisher`), which names its role in the bus policy, grants it `events:PutEvents` on
 * this bus only and gives it the bus ARN (`HANDOVER_BUS_ENV`).
 */
export class HandoverBus extends Construct {
  /** Construct id of the bus's construct under its stack. */
  public static readonly ID = 'CdkConsoleUsersHandoverBus';

  /** The handover bus of `scope`'s stack, created if it does not exist yet. */
  public static of(scope: IConstruct): HandoverBus {
    return stackSingleton(scope, HandoverBus.ID, HandoverBus, (stack, id) => new HandoverBus(stack, id));
  }

  /** The bus. */
  public readonly bus: events.EventBus;
  /** The roles that may put events on it, in the order they registered. */
  private readonly publishers: iam.IRole[] = [];

  private constructor(scope: Stack, id: string) {
    super(scope, id);
    // Bus names are unique in an account and region, as stack names are.
    const name = Fn.join('-', ['cdk-console-users-handover', Aws.STACK_NAME]);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: name,
      description: 'cdk-console-users: an event each time a console password is issued (no password in it)',
    });
    // The policy is part of the bus resource (not a separate EventBusPolicy): there is no moment
    // when the bus exists without it. Its resource is the bus's ARN built from the name, since the
    // bus cannot reference its own attributes.
    const busArn = scope.formatArn({ service: 'events', resource: 'event-bus', resourceName: name });
    (this.bus.node.defaultChild as events.CfnEventBus).policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: ONLY_LIBRARY_PUBLISHES_SID,
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'events:PutEvents',
          Resource: busArn,
          Condition: {
            ArnNotEquals: {
              // Read at synth: the functions registered by then (the rotation function may come later).
              'aws:PrincipalArn': Lazy.any({ produce: () => this.publishers.map((role) => role.roleArn) }),
            },
          },
        },
      ],
    };
  }

  /**
   * Lets `handler` publish on the bus: names its role in the bus policy (the only principals not
   * refused), adds `events:PutEvents` on this bus to `policy` (a policy of that role), and gives
   * the function the bus ARN once it is built.
   */
  public addPublisher(handler: HandlerFunction, policy: iam.Policy): void {
    this.publishers.push(handler.role);
    policy.addStatements(
      new iam.PolicyStatement({ sid: PUBLISH_SID, actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    handler.whenBuilt((fn) => fn.addEnvironment(HANDOVER_BUS_ENV, this.bus.eventBusArn));
  }
}
