/** A member reference: the shape it names and, for the query protocols, its wire name. */
export interface MemberRef {
  shape: string;
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
}

/** A shape of a published service model (botocore's JSON form), trimmed to what validation reads. */
export interface Shape {
  type:
    | "structure"
    | "list"
    | "map"
    | "string"
    | "integer"
    | "long"
    | "double"
    | "float"
    | "boolean"
    | "timestamp"
    | "blob";
  required?: string[];
  members?: Record<string, MemberRef>;
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  flattened?: boolean;
}

export interface Model {
  source: string;
  protocol: string;
  apiVersion: string;
  /** Operation name → input shape name. */
  operations: Record<string, string>;
  shapes: Record<string, Shape>;
}
