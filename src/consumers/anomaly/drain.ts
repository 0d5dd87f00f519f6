import { maskMessage, tokenize } from './masking.js';

/**
 * An online Drain clusterer (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth
 * Tree", ICWS 2017) for error messages. A masked message is routed through a tree of fixed depth —
 * first by its token count, then by its first `depth - 2` tokens — to a leaf holding a few
 * clusters; it joins the most similar one (share of equal tokens >= `similarity`), which
 * generalizes the differing positions to <*>, or starts a new one. The number of clusters is
 * bounded: beyond `maxClusters` the least recently seen is dropped. No npm package does this
 * (drain3 is Python), hence this one.
 */

export const WILDCARD = '<*>';
const MASK_CACHE_ENTRIES = 512;
const MASK_CACHE_KEY_CHARS = 512;
/** Slots of the admission filter (a power of two). */
const SEEN_SLOTS = 4096;

export interface DrainOptions {
  /** Tree depth including the root and the length level; >= 3. Default 4 (two routing tokens). */
  depth?: number;
  /** Share of equal tokens a message needs to join a cluster, 0..1. Default 0.5. */
  similarity?: number;
  /** Children per tree node; further distinct tokens route to <*>. Default 100. */
  maxChildren?: number;
  /** Clusters kept (LRU). Default 1000. */
  maxClusters?: number;
  /** Tokens of a message considered; the rest is ignored. Default 64. */
  maxTokens?: number;
}

/** A leaf node as clusters see it. */
export interface LeafRef {
  clusters: Cluster[] | undefined;
}

export class Cluster {
  count = 0;
  lastSeen: number;
  private text: string | undefined;

  constructor(
    readonly id: number,
    readonly tokens: string[],
    readonly createdAt: number,
    /** The leaf it lives in, so eviction can remove it. */
    readonly leaf: LeafRef,
  ) {
    this.lastSeen = createdAt;
  }

  /** The template text: tokens joined by single spaces, <*> where occurrences differ. */
  get template(): string {
    if (this.text === undefined) this.text = this.tokens.join(' ');
    return this.text;
  }

  /** Generalize the positions where `tokens` differ; true when the template changed. */
  merge(tokens: readonly string[]): boolean {
    let changed = false;
    for (let i = 0; i < this.tokens.length; i++) {
      if (this.tokens[i] !== tokens[i] && this.tokens[i] !== WILDCARD) {
        this.tokens[i] = WILDCARD;
        changed = true;
      }
    }
    if (changed) this.text = undefined;
    return changed;
  }
}

interface Node {
  children: Map<string, Node>;
  /** Only on leaves. */
  clusters: Cluster[] | undefined;
  /** Where it hangs, so a node left empty by eviction can be removed (the tree stays bounded). */
  parent: Node | undefined;
  key: string;
}

const newNode = (parent: Node | undefined, key: string): Node => ({ children: new Map(), clusters: undefined, parent, key });

/** A token that looks like a parameter routes to <*>, so ids never fan the tree out. */
function isParam(token: string): boolean {
  if (token.startsWith('<') && token.endsWith('>')) return true;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** 32-bit FNV-1a over UTF-16 code units. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

export class Drain {
  private readonly root = newNode(undefined, '');
  /** Every cluster by id, in least-recently-seen-first order (a Map keeps insertion order). */
  private readonly byId = new Map<number, Cluster>();
  private nextId = 1;
  private readonly depth: number;
  private readonly similarity: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly maxTokens: number;
  /** Clusters dropped to stay within maxClusters. */
  evicted = 0;

  constructor(options: DrainOptions = {}) {
    this.depth = Math.max(3, options.depth ?? 4);
    this.similarity = options.similarity ?? 0.5;
    this.maxChildren = options.maxChildren ?? 100;
    this.maxClusters = options.maxClusters ?? 1000;
    this.maxTokens = options.maxTokens ?? 64;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: number): Cluster | undefined {
    return this.byId.get(id);
  }

  /** All clusters, least recently seen first. */
  clusters(): IterableIterator<Cluster> {
    return this.byId.values();
  }

  /**
   * Masked tokens of recent short messages: servers repeat many errors word for word ("Model is
   * overloaded"), and masking is most of the cost of a line. Bounded in entries and key length.
   */
  private readonly maskCache = new Map<string, string[]>();
  /**
   * Hashes of messages seen lately, one per slot: a message enters the cache only when seen before.
   * Most messages carry an id or a size and never repeat; caching each of them kept ~1 kB alive per
   * error line for a while, and that churn is what grew V8's young generation to its maximum.
   */
  private readonly seen = new Int32Array(SEEN_SLOTS);

  /** Messages in the mask cache (for tests). */
  get cachedMessages(): number {
    return this.maskCache.size;
  }

  /** Cluster one raw message (masked here); returns its cluster. `now` is epoch ms. */
  add(message: string, now: number): Cluster {
    const cacheable = message.length <= MASK_CACHE_KEY_CHARS;
    let tokens = cacheable ? this.maskCache.get(message) : undefined;
    if (tokens === undefined) {
      tokens = tokenize(maskMessage(message), this.maxTokens);
      if (cacheable && this.seenBefore(message)) {
        if (this.maskCache.size >= MASK_CACHE_ENTRIES) this.maskCache.delete(this.maskCache.keys().next().value as string);
        this.maskCache.set(message, tokens);
      }
    }
    return this.addTokens(tokens, now);
  }

  /** Whether the message's hash is in its slot; records it there if not. A collision only caches a message early. */
  private seenBefore(message: string): boolean {
    const h = fnv1a(message);
    const slot = h & (SEEN_SLOTS - 1);
    if (this.seen[slot] === h) return true;
    this.seen[slot] = h;
    return false;
  }

  /** Cluster an already masked and tokenized message. */
  addTokens(tokens: readonly string[], now: number): Cluster {
    if (tokens.length === 0) tokens = ['<empty>'];
    const node = this.leafFor(tokens);
    const leaf = (node.clusters ??= []);
    let best: Cluster | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const c of leaf) {
      // Share of positions with equal tokens (a <*> is not equal: a template that is mostly
      // wildcards attracts nothing), ties to the more general template.
      let same = 0;
      let params = 0;
      const t = c.tokens;
      for (let i = 0; i < t.length; i++) {
        const tok = t[i];
        if (tok === WILDCARD) params++;
        else if (tok === tokens[i]) same++;
      }
      const sim = same / t.length;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = c;
        bestSim = sim;
        bestParams = params;
      }
    }
    let cluster: Cluster;
    if (best !== undefined && bestSim >= this.similarity) {
      cluster = best;
      cluster.merge(tokens);
      // Most recently seen last.
      this.byId.delete(cluster.id);
      this.byId.set(cluster.id, cluster);
    } else {
      cluster = new Cluster(this.nextId++, [...tokens], now, node);
      leaf.push(cluster);
      this.byId.set(cluster.id, cluster);
      if (this.byId.size > this.maxClusters) this.evictOldest();
    }
    cluster.count++;
    cluster.lastSeen = now;
    return cluster;
  }

  /** The leaf node for these tokens, created on the way: length, then the first depth-2 tokens. */
  private leafFor(tokens: readonly string[]): Node {
    let node = this.child(this.root, String(tokens.length), false);
    const routing = Math.min(this.depth - 2, tokens.length);
    for (let i = 0; i < routing; i++) {
      const t = tokens[i] as string;
      node = this.child(node, isParam(t) ? WILDCARD : t, true);
    }
    return node;
  }

  private child(node: Node, key: string, capped: boolean): Node {
    let next = node.children.get(key);
    if (next !== undefined) return next;
    // A node that is full sends new tokens down its <*> branch (created beyond the cap if need be).
    if (capped && key !== WILDCARD && node.children.size >= this.maxChildren) return this.child(node, WILDCARD, false);
    next = newNode(node, key);
    node.children.set(key, next);
    return next;
  }

  private evictOldest(): void {
    const oldest = this.byId.values().next().value;
    if (oldest === undefined) return;
    this.byId.delete(oldest.id);
    const leaf = oldest.leaf as Node;
    const list = leaf.clusters ?? [];
    const i = list.indexOf(oldest);
    if (i !== -1) list.splice(i, 1);
    // Remove nodes left with nothing below them.
    for (let n: Node | undefined = leaf; n?.parent !== undefined && n.children.size === 0 && (n.clusters?.length ?? 0) === 0; n = n.parent) n.parent.children.delete(n.key);
    this.evicted++;
  }

  /** Tree nodes (for tests: the tree stays bounded by the clusters it holds). */
  nodeCount(): number {
    let count = 0;
    const walk = (n: Node) => {
      count++;
      for (const c of n.children.values()) walk(c);
    };
    walk(this.root);
    return count;
  }
}
