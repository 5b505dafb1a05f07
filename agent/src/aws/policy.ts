// The least-privilege IAM policy for the aws commands (and, alone, for mirror
// --enrich): read-only Describe* on everything (EC2 has no resource-level permissions
// for them), creation only with the intransit:managed tag in the request, and changes
// and deletions only on resources that carry it.

import { MANAGED_TAG } from './spec.js';

export const DESCRIBE_ACTIONS = [
  'ec2:DescribeTrafficMirrorTargets',
  'ec2:DescribeTrafficMirrorFilters',
  'ec2:DescribeTrafficMirrorSessions',
  'ec2:DescribeInstances',
  'ec2:DescribeNetworkInterfaces',
];

export function iamPolicy(name: string, readOnly: boolean): Record<string, unknown> {
  const arn = (type: string) => `arn:aws:ec2:*:*:${type}/*`;
  const ownTag = { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: name } };
  const statements: Record<string, unknown>[] = [{ Sid: 'IntransitDescribe', Effect: 'Allow', Action: DESCRIBE_ACTIONS, Resource: '*' }];
  if (!readOnly) {
    statements.push(
      {
        // the new resource must carry the tag; the interfaces, targets and filters a
        // session is created with are named by the request, not tagged
        Sid: 'IntransitCreateTagged',
        Effect: 'Allow',
        Action: ['ec2:CreateTrafficMirrorTarget', 'ec2:CreateTrafficMirrorFilter', 'ec2:CreateTrafficMirrorSession'],
        Resource: [arn('traffic-mirror-target'), arn('traffic-mirror-filter'), arn('traffic-mirror-session')],
        Condition: { StringEquals: { [`aws:RequestTag/${MANAGED_TAG}`]: name } },
      },
      {
        Sid: 'IntransitCreateWith',
        Effect: 'Allow',
        Action: ['ec2:CreateTrafficMirrorTarget', 'ec2:CreateTrafficMirrorSession'],
        Resource: [arn('network-interface'), arn('vpc-endpoint'), 'arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*'],
      },
      {
        Sid: 'IntransitSessionUsesOwn',
        Effect: 'Allow',
        Action: ['ec2:CreateTrafficMirrorSession', 'ec2:ModifyTrafficMirrorSession'],
        Resource: [arn('traffic-mirror-target'), arn('traffic-mirror-filter')],
        Condition: ownTag,
      },
      {
        Sid: 'IntransitTagOnCreate',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: [arn('traffic-mirror-target'), arn('traffic-mirror-filter'), arn('traffic-mirror-session')],
        Condition: { StringEquals: { 'ec2:CreateAction': ['CreateTrafficMirrorTarget', 'CreateTrafficMirrorFilter', 'CreateTrafficMirrorSession'] } },
      },
      {
        Sid: 'IntransitChangeOwn',
        Effect: 'Allow',
        Action: [
          'ec2:CreateTrafficMirrorFilterRule',
          'ec2:DeleteTrafficMirrorFilterRule',
          'ec2:ModifyTrafficMirrorSession',
          'ec2:DeleteTrafficMirrorSession',
          'ec2:DeleteTrafficMirrorFilter',
          'ec2:DeleteTrafficMirrorTarget',
        ],
        Resource: [arn('traffic-mirror-target'), arn('traffic-mirror-filter'), arn('traffic-mirror-session')],
        Condition: ownTag,
      },
      {
        // rules are not tagged: they are reached through their (tagged) filter above
        Sid: 'IntransitFilterRules',
        Effect: 'Allow',
        Action: ['ec2:CreateTrafficMirrorFilterRule', 'ec2:DeleteTrafficMirrorFilterRule'],
        Resource: arn('traffic-mirror-filter-rule'),
      },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}
