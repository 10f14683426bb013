import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/**
 * The three wire protocols ecs-kit's clients speak, and the error shape each one really sends
 * (../shared/notes/moto-emulator.md, "Proxy feasibility"), so the SDK yields the intended error
 * name and message instead of a SyntaxError. Shared by the fault proxy and the strict layer.
 */
export type Protocol = 'json' | 'cloudwatch-json' | 'ec2' | 'query' | 's3';

export function protocolOf(headers: IncomingHttpHeaders, service: string): Protocol {
  if (service === 's3') return 's3';
  // EventBridge Scheduler is REST-JSON: JSON bodies, errors named by x-amzn-errortype like awsJson's.
  if (service === 'scheduler') return 'json';
  if (headers['x-amz-target']) return service === 'monitoring' ? 'cloudwatch-json' : 'json';
  return service === 'ec2' ? 'ec2' : 'query';
}

export interface AwsErrorShape {
  code: string;
  message: string;
  /** HTTP status; 400 unless given. */
  status?: number;
  /** awsQuery fault side; 'Sender' unless given. */
  fault?: 'Sender' | 'Receiver';
  /** CloudWatch's query-compatible code (x-amzn-query-error), when it differs from `code`. */
  queryCode?: string;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function writeAwsError(res: ServerResponse, protocol: Protocol, err: AwsErrorShape, requestId = 'ecs-kit-harness-0000'): void {
  const status = err.status ?? 400;
  const fault = err.fault ?? 'Sender';
  let headers: Record<string, string>;
  let body: string;
  if (protocol === 'json' || protocol === 'cloudwatch-json') {
    headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': err.code, 'x-amzn-requestid': requestId };
    if (protocol === 'cloudwatch-json') headers['x-amzn-query-error'] = `${err.queryCode ?? err.code};${fault}`;
    body = JSON.stringify({ __type: err.code, message: err.message });
  } else if (protocol === 's3') {
    // S3 REST errors: <Error><Code/><Message/><RequestId/></Error> (S3 API reference, "Error responses").
    headers = { 'content-type': 'application/xml' };
    body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${xmlEscape(err.code)}</Code><Message>${xmlEscape(err.message)}</Message><RequestId>${requestId}</RequestId></Error>`;
  } else if (protocol === 'ec2') {
    headers = { 'content-type': 'text/xml' };
    const error = `<Error><Code>${xmlEscape(err.code)}</Code><Message>${xmlEscape(err.message)}</Message></Error>`;
    body = `<?xml version="1.0" encoding="UTF-8"?><Response><Errors>${error}</Errors><RequestID>${requestId}</RequestID></Response>`;
  } else {
    headers = { 'content-type': 'text/xml' };
    const error = `<Error><Type>${fault}</Type><Code>${xmlEscape(err.code)}</Code><Message>${xmlEscape(err.message)}</Message></Error>`;
    body = `<ErrorResponse>${error}<RequestId>${requestId}</RequestId></ErrorResponse>`;
  }
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
