/**
 * Where the library's Lambda functions take their code from: a CDK file asset, or the template itself.
 */
export enum HandlerCode {
  /**
   * The bundled handler as a CDK file asset: `cdk deploy` uploads it to the environment's
   * bootstrap bucket, and the function's code points at that object (`S3Bucket`, `S3Key`).
   */
  ASSET = 'ASSET',
  /**
   * The bundled handler inside the template, as the function's inline code (`ZipFile`, which
   * CloudFormation writes to `index.js`): the stack needs no file asset, so it deploys where
   * file assets cannot be published, such as a CloudFormation StackSet. The template grows by the
   * size of each handler, and anyone who can read the template can read the handler's code (it
   * holds no secret).
   */
  INLINE = 'INLINE',
}
