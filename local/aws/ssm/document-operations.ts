import { AwsError } from "../errors";
import { type Input, objList, str } from "../protocol/input";
import type { Output } from "../protocol/xml";
import { ownedDocuments, parseContent } from "./documents";
import type { SsmContext, SsmDocument } from "./model";

const OWNED = new Map(ownedDocuments().map((d) => [d.name, d]));

export function isOwnedDocument(name: string): boolean {
  return OWNED.has(name);
}

/** A document's name from its name or ARN (`arn:aws:ssm:<region>:<account>:document/<name>`). */
export function documentName(nameOrArn: string): string {
  return /^arn:[^:]+:ssm:[^:]*:[^:]*:document\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

export function documentArn(
  ctx: Pick<SsmContext, "region" | "accountId">,
  name: string,
  partition = "aws",
): string {
  const account = OWNED.has(name) ? "" : ctx.accountId;
  return `arn:${partition}:ssm:${ctx.region.region}:${account}:document/${name}`;
}

/** `InvalidDocument` when neither AWS nor the account has it; versions other than 1 are `InvalidDocumentVersion`. */
export function findDocument(ctx: SsmContext, nameOrArn: string, version?: string): SsmDocument {
  const name = documentName(nameOrArn);
  const doc = OWNED.get(name) ?? ctx.region.documents.get(name);
  if (!doc)
    throw new AwsError(
      "InvalidDocument",
      `Document ${name} does not exist in ${ctx.region.region}: create it with CreateDocument, or use an AWS-owned document such as AWS-RunShellScript.`,
    );
  if (version !== undefined && !["$DEFAULT", "$LATEST", "1"].includes(version))
    throw new AwsError(
      "InvalidDocumentVersion",
      `Document ${name} has version 1 only (or $DEFAULT, $LATEST), not '${version}'.`,
    );
  return doc;
}

/** DocumentDescription. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DocumentDescription.html */
function describe(doc: SsmDocument): Output {
  return {
    Name: doc.name,
    Owner: doc.owner,
    CreatedDate: doc.createdDate,
    Status: "Active",
    DocumentVersion: "1",
    LatestVersion: "1",
    DefaultVersion: "1",
    Description: doc.description,
    Parameters: Object.entries(doc.parameters).map(([name, p]) => ({
      Name: name,
      Type: p.type,
      Description: p.description,
      DefaultValue:
        p.default === undefined
          ? undefined
          : Array.isArray(p.default)
            ? p.default.join(",")
            : String(p.default),
    })),
    PlatformTypes: doc.platformTypes,
    DocumentType: "Command",
    SchemaVersion: doc.schemaVersion,
    DocumentFormat: doc.format,
    HashType: "Sha256",
    Tags: [...doc.tags].map(([Key, Value]) => ({ Key, Value })),
  };
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateDocument.html */
export function createDocument(ctx: SsmContext, input: Input): Output {
  const name = str(input, "Name") ?? "";
  if (OWNED.has(name) || /^(aws|amazon|amzn)/i.test(name))
    throw new AwsError(
      "ValidationException",
      `Document names starting with AWS, Amazon or AMZN are reserved: '${name}'.`,
    );
  if (ctx.region.documents.has(name))
    throw new AwsError("DocumentAlreadyExists", `Document ${name} already exists in ${ctx.region.region}.`);
  const type = str(input, "DocumentType") ?? "Command";
  if (type !== "Command")
    throw new AwsError(
      "InvalidDocumentContent",
      `The embedded AWS runs Command documents only, not ${type}.`,
    );
  const format = str(input, "DocumentFormat") ?? "JSON";
  if (format !== "JSON")
    throw new AwsError(
      "InvalidDocumentContent",
      `The embedded AWS reads JSON documents only, not ${format}: convert the content to JSON.`,
    );
  const content = str(input, "Content") ?? "";
  const doc: SsmDocument = {
    name,
    owner: ctx.accountId,
    content,
    format: "JSON",
    ...parseContent(content),
    createdDate: ctx.clock.now(),
    tags: new Map(objList(input, "Tags").map((t) => [str(t, "Key") ?? "", str(t, "Value") ?? ""])),
  };
  ctx.region.documents.set(name, doc);
  return { DocumentDescription: describe(doc) };
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeDocument.html */
export function describeDocument(ctx: SsmContext, input: Input): Output {
  return { Document: describe(findDocument(ctx, str(input, "Name") ?? "", str(input, "DocumentVersion"))) };
}

/** https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DeleteDocument.html */
export function deleteDocument(ctx: SsmContext, input: Input): Output {
  const doc = findDocument(ctx, str(input, "Name") ?? "");
  if (doc.owner === "Amazon")
    throw new AwsError(
      "InvalidDocumentOperation",
      `Document ${doc.name} is owned by AWS and cannot be deleted.`,
    );
  ctx.region.documents.delete(doc.name);
  return {};
}
