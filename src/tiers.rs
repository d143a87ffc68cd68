//! Role tiers: a DAG of roles (higher first) kept beside the site, because
//! ShotGrid's roles have no relationships. Grants propagate up, revocations
//! down; `check` finds lower tiers allowed more than higher ones; and
//! `can_assign` decides who may put whom in which role.
//!
//! ```
//! use sgperms::tiers::Tiers;
//!
//! let tiers = Tiers::parse("admins: admin\nsupervisor > lead > artist\nproducer > supervisor\n").unwrap();
//! assert_eq!(tiers.ancestors("artist").unwrap(), ["supervisor", "lead", "producer"]);
//! assert!(tiers.can_assign("supervisor", "artist", "lead").allowed);
//! assert!(!tiers.can_assign("lead", "artist", "supervisor").allowed);
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;

use indexmap::IndexMap;
use petgraph::algo::{has_path_connecting, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{VisitMap, Visitable};
use petgraph::Direction;

use std::path::{Path, PathBuf};

use crate::intern::Name;
use crate::model::{Cell, Table, Target, Value, NO_RANK, RANK_IF, RANK_NO, RANK_YES};
use crate::normalize::{closest, did_you_mean, shown};
use crate::vocab;

/// Why a tier file or a tier operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TierError {
    /// A line that is not a chain, a lone role or an `admins:` line.
    Syntax {
        /// The 1-based line.
        line: usize,
        /// The line's text.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A chain that leads back up to a role above it.
    Cycle {
        /// The 1-based line of the chain that closes the cycle.
        line: usize,
        /// The roles of the cycle, higher first, the first repeated last.
        cycle: Vec<String>,
    },
    /// A role the permission table does not have.
    UnknownRole {
        /// The role code.
        role: String,
        /// The tier file's line naming it, when it comes from one.
        line: Option<usize>,
        /// The table's role codes.
        known: Vec<String>,
    },
    /// A role that no chain of the tier file names.
    NotInTiers {
        /// The role code.
        role: String,
        /// The tier file's roles, in the order it names them.
        known: Vec<String>,
    },
    /// A grant of a value that grants nothing (`no`, unknown, `inherit`).
    NotAGrant {
        /// The value's text.
        value: String,
    },
    /// A plan made for another table: a cell no longer holds what it did.
    StalePlan {
        /// The role code of the cell.
        role: String,
        /// The target of the cell, as `kind:entity_type:name:action`.
        target: String,
        /// The value when the plan was made.
        expected: String,
        /// The value now.
        found: String,
    },
    /// A tier file that is not UTF-8 text.
    InvalidUtf8 {
        /// The 1-based line of the first bad byte.
        line: usize,
    },
}

impl TierError {
    /// A short snake_case name of the variant (`cycle`, `unknown_role`...):
    /// the `.kind` of the Python exception.
    pub fn kind(&self) -> &'static str {
        match self {
            TierError::Syntax { .. } => "syntax",
            TierError::Cycle { .. } => "cycle",
            TierError::UnknownRole { .. } => "unknown_role",
            TierError::NotInTiers { .. } => "not_in_tiers",
            TierError::NotAGrant { .. } => "not_a_grant",
            TierError::StalePlan { .. } => "stale_plan",
            TierError::InvalidUtf8 { .. } => "invalid_utf8",
        }
    }
}

impl fmt::Display for TierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierError::Syntax { line, text, problem } => {
                write!(f, "line {line}: {problem}: \"{}\"", shown(text))
            }
            TierError::Cycle { line, cycle } => write!(
                f,
                "line {line}: this chain makes a cycle: {}; tiers must only go down",
                cycle.join(" > ")
            ),
            TierError::UnknownRole { role, line, known } => {
                if let Some(line) = line {
                    write!(f, "line {line}: ")?;
                }
                let hint = did_you_mean(role, known.iter().map(String::as_str));
                write!(f, "unknown role \"{role}\"{hint}; the permission table has: {}", known.join(", "))
            }
            TierError::NotInTiers { role, known } => match closest(role, known.iter().map(String::as_str)) {
                Some(near) => write!(
                    f,
                    "role \"{role}\" is in no chain of the tier file (did you mean \"{near}\"?)"
                ),
                None => write!(
                    f,
                    "role \"{role}\" is in no chain of the tier file; add it (a line with just \"{role}\" declares it isolated)"
                ),
            },
            TierError::NotAGrant { value } => write!(
                f,
                "cannot grant \"{}\": a grant is \"yes\" or \"if <condition>\" (revoke to remove)",
                shown(value)
            ),
            TierError::StalePlan {
                role,
                target,
                expected,
                found,
            } => write!(
                f,
                "the plan no longer fits the table: {role} {target} was \"{expected}\" when planned and is now \"{found}\"; plan again"
            ),
            TierError::InvalidUtf8 { line } => write!(
                f,
                "line {line}: invalid UTF-8; save the tier file as UTF-8 text"
            ),
        }
    }
}

impl std::error::Error for TierError {}

/// Why a tier file could not be read: the file, and what went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum TierFileError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file was read, but is not a tier file.
    Tiers {
        /// The file.
        path: PathBuf,
        /// What is wrong with its text.
        error: TierError,
    },
}

impl TierFileError {
    /// The `kind` of the error: `io`, or the [`TierError::kind`] inside.
    pub fn kind(&self) -> &'static str {
        match self {
            TierFileError::Io { .. } => "io",
            TierFileError::Tiers { error, .. } => error.kind(),
        }
    }
}

impl fmt::Display for TierFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            TierFileError::Tiers { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for TierFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TierFileError::Io { source, .. } => Some(source),
            TierFileError::Tiers { error, .. } => Some(error),
        }
    }
}

/// The permission order: `no` < `if …` < `yes`; unknown has no rank.
pub fn rank(value: &Value) -> Option<u8> {
    match value {
        Value::No => Some(RANK_NO),
        Value::If(_) => Some(RANK_IF),
        Value::Yes => Some(RANK_YES),
        Value::Unknown | Value::Inherit => None,
    }
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The role code of the cell.
    pub role: String,
    /// The target of the cell.
    pub target: Target,
    /// The value the plan was made from.
    pub before: Value,
    /// The value the plan sets.
    pub after: Value,
    /// Why: the grant or revocation it follows from.
    pub why: String,
}

/// `role target: "before" -> "after", why`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {:?} -> {:?}, {}",
            self.role,
            self.target,
            self.before.to_text(),
            self.after.to_text(),
            self.why
        )
    }
}

/// Changes to make, in table role order; nothing is changed until applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl Plan {
    /// The plan as CSV (`role,kind,entity_type,name,action,before,after,why`),
    /// in plan order, for review in a spreadsheet before it is applied: cells
    /// that would run as formulas are neutralised
    /// ([`crate::safe::spreadsheet_csv`]); sgperms never reads this back.
    pub fn to_csv(&self) -> String {
        let header: [&str; 8] = vocab::around_key(&[vocab::ROLE], &["before", "after", "why"]);
        let rows = self.changes.iter().map(|c| {
            let [kind, entity_type, name, action] = c.target.key().map(str::to_string);
            [
                c.role.clone(),
                kind,
                entity_type,
                name,
                action,
                c.before.to_text(),
                c.after.to_text(),
                c.why.clone(),
            ]
        });
        crate::safe::spreadsheet_csv(std::iter::once(header.map(str::to_string)).chain(rows))
    }

    /// A copy of `table` with the plan applied. Fails, changing nothing, when a
    /// cell no longer holds the value the plan was made from.
    pub fn apply(&self, table: &Table) -> Result<Table, TierError> {
        let mut out = table.clone();
        for change in &self.changes {
            let role = out
                .role_index(&change.role)
                .ok_or_else(|| TierError::UnknownRole {
                    role: change.role.clone(),
                    line: None,
                    known: out.roles().map(str::to_string).collect(),
                })?;
            let found = out.get(&change.target, role);
            if found != change.before {
                return Err(TierError::StalePlan {
                    role: change.role.clone(),
                    target: change.target.to_string(),
                    expected: change.before.to_text(),
                    found: found.to_text(),
                });
            }
            let row = out.insert_target(change.target);
            out.set(row, role, &change.after)
                .expect("a planned value fits its target");
        }
        Ok(out)
    }
}

/// A lower tier allowed more than a higher one, on effective values; or, for
/// `Unknown`, a pair that could not be compared. Every part is an interned
/// handle or a code: a violation is `Copy`, and a check that finds a million
/// allocates one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Violation {
    /// The higher role's code.
    pub upper: Name,
    /// The lower role's code.
    pub lower: Name,
    /// The target they disagree on.
    pub target: Target,
    /// The higher role's effective value.
    pub upper_value: Cell,
    /// The lower role's effective value.
    pub lower_value: Cell,
    /// True when one side is unknown, so the pair could not be compared.
    pub unknown: bool,
}

/// `target: upper (value) allows less than lower (value)`, an unknown value
/// shown as `unknown`.
impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let relation = if self.unknown {
            "cannot be compared with"
        } else {
            "allows less than"
        };
        write!(
            f,
            "{}: {} ({}) {relation} {} ({})",
            self.target,
            self.upper,
            self.upper_value.shown(),
            self.lower,
            self.lower_value.shown()
        )
    }
}

/// An assignment decision, with its reason whichever way it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the assignment may be made.
    pub allowed: bool,
    /// Why, in a sentence.
    pub reason: String,
}

/// The admin roles: the tier file's `admins:` line, or, without one (or
/// without tiers), `admin`, the code of ShotGrid's Admin role.
pub fn admin_roles(tiers: Option<&Tiers>) -> Vec<&str> {
    match tiers {
        Some(t) if !t.admins().is_empty() => t.admins().iter().map(String::as_str).collect(),
        _ => vec!["admin"],
    }
}

/// The tier DAG. Edges go from a higher role to the role just below it,
/// each with the line that first names it, in the order the file makes them.
#[derive(Debug, Clone)]
pub struct Tiers {
    graph: DiGraph<String, usize>,
    nodes: IndexMap<String, NodeIndex>,
    lines: HashMap<String, usize>,
    admins: Vec<String>,
}

fn is_role_code(text: &str) -> bool {
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '>' | ',' | ':' | '#'))
}

impl Tiers {
    /// Reads and parses the tier file at `path`. Errors name the file (and
    /// the line, for what is wrong with its text).
    pub fn read(path: &Path) -> Result<Tiers, TierFileError> {
        let bytes = std::fs::read(path).map_err(|source| TierFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let in_file = |error| TierFileError::Tiers {
            path: path.to_path_buf(),
            error,
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
            in_file(TierError::InvalidUtf8 { line })
        })?;
        Tiers::parse(&text).map_err(in_file)
    }

    /// Parses a tier file: `a > b > c` chains (higher first), a lone role to
    /// declare it isolated, `admins: x, y`, `#` comments.
    pub fn parse(text: &str) -> Result<Tiers, TierError> {
        let mut tiers = Tiers {
            graph: DiGraph::new(),
            nodes: IndexMap::new(),
            lines: HashMap::new(),
            admins: Vec::new(),
        };
        // The lines are read up to the first bad one; a cycle made before it
        // is the earlier error, so it is looked for first.
        let stopped = tiers.read_lines(text);
        tiers.refuse_cycles()?;
        stopped.map(|()| tiers)
    }

    /// Adds the roles, edges and admins of `text`'s lines until one is not
    /// a tier line (its error) or is a chain from a role to itself (a cycle).
    fn read_lines(&mut self, text: &str) -> Result<(), TierError> {
        let mut edges = HashSet::new();
        // A BOM (Windows editors add one) would otherwise stick to the first role.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, raw) in text.lines().enumerate() {
            let line = number + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let syntax = |problem: &str| TierError::Syntax {
                line,
                text: raw.trim().to_string(),
                problem: problem.to_string(),
            };
            if let Some(rest) = strip_admins(content) {
                for role in rest.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    if !is_role_code(role) {
                        return Err(syntax("expected role codes separated by commas"));
                    }
                    self.node(role, line);
                    if !self.admins.iter().any(|a| a == role) {
                        self.admins.push(role.to_string());
                    }
                }
                continue;
            }
            let chain: Vec<&str> = content.split('>').map(str::trim).collect();
            if chain.iter().any(|r| !is_role_code(r)) {
                return Err(syntax(
                    "expected a chain of role codes, higher first, such as \"supervisor > lead > artist\"",
                ));
            }
            for pair in chain.windows(2) {
                self.edge(pair[0], pair[1], line, &mut edges)?;
            }
            if let [single] = chain.as_slice() {
                self.node(single, line);
            }
        }
        Ok(())
    }

    fn node(&mut self, role: &str, line: usize) -> NodeIndex {
        if let Some(&n) = self.nodes.get(role) {
            return n;
        }
        let n = self.graph.add_node(role.to_string());
        self.nodes.insert(role.to_string(), n);
        self.lines.insert(role.to_string(), line);
        n
    }

    /// Adds the edge `upper > lower` (once: `edges` holds those added, so a
    /// repeat costs a hash look-up, not a scan of `upper`'s edges). Cycles
    /// through other roles are left to [`Tiers::refuse_cycles`].
    fn edge(
        &mut self,
        upper: &str,
        lower: &str,
        line: usize,
        edges: &mut HashSet<(NodeIndex, NodeIndex)>,
    ) -> Result<(), TierError> {
        let (a, b) = (self.node(upper, line), self.node(lower, line));
        if a == b {
            return Err(TierError::Cycle {
                line,
                cycle: vec![upper.to_string(), lower.to_string()],
            });
        }
        if edges.insert((a, b)) {
            self.graph.add_edge(a, b, line);
        }
        Ok(())
    }

    /// Fails at the first edge, in file order, that closes a cycle, naming
    /// the cycle it closes: roles from its lower end down to its upper end
    /// along the earlier edges, depth first (the most recent edge of a role
    /// first), then the lower end again. One linear pass when there is no
    /// cycle; otherwise a bisection over the edges, since an edge list
    /// without a cycle has none in its beginning either.
    fn refuse_cycles(&self) -> Result<(), TierError> {
        if toposort(&self.graph, None).is_ok() {
            return Ok(());
        }
        let edges = self.graph.raw_edges();
        // Invariant: the first `acyclic` edges make no cycle, the first `cyclic` do.
        let (mut acyclic, mut cyclic) = (0, edges.len());
        while cyclic - acyclic > 1 {
            let middle = acyclic + (cyclic - acyclic) / 2;
            if toposort(&self.first_edges(middle), None).is_ok() {
                acyclic = middle;
            } else {
                cyclic = middle;
            }
        }
        let closing = &edges[acyclic];
        let before = self.first_edges(acyclic);
        let mut cycle: Vec<String> = path(&before, closing.target(), closing.source())
            .into_iter()
            .map(|n| self.graph[n].clone())
            .collect();
        cycle.push(self.graph[closing.target()].clone());
        Err(TierError::Cycle {
            line: closing.weight,
            cycle,
        })
    }

    /// The tier graph's roles with only its first `count` edges, added in the
    /// same order (so each role's edges iterate in the same order too).
    fn first_edges(&self, count: usize) -> DiGraph<(), ()> {
        let mut graph = DiGraph::with_capacity(self.graph.node_count(), count);
        for _ in self.graph.node_indices() {
            graph.add_node(());
        }
        for edge in &self.graph.raw_edges()[..count] {
            graph.add_edge(edge.source(), edge.target(), ());
        }
        graph
    }

    /// The roles reachable from `role` (itself excluded) following the edges
    /// `direction`, in order of first mention. Walked on demand: linear in
    /// what it reaches, where a precomputed closure would cost the square of
    /// a long chain to build and hold.
    fn reach(&self, role: NodeIndex, direction: Direction) -> Vec<NodeIndex> {
        let mut seen = self.graph.visit_map();
        seen.visit(role);
        // Breadth first, `found` doubling as the queue of roles to expand.
        let mut found = Vec::new();
        let (mut at, mut expanded) = (role, 0);
        loop {
            found.extend(
                self.graph
                    .neighbors_directed(at, direction)
                    .filter(|&n| seen.visit(n)),
            );
            let Some(&next) = found.get(expanded) else {
                break;
            };
            (at, expanded) = (next, expanded + 1);
        }
        // Node indices are given in order of first mention.
        found.sort_unstable();
        found
    }

    /// Every role the file names, in order of first mention.
    pub fn roles(&self) -> Vec<&str> {
        self.nodes.keys().map(String::as_str).collect()
    }

    /// Roles that may assign any role.
    pub fn admins(&self) -> &[String] {
        &self.admins
    }

    /// The line where a role is first named.
    pub fn line_of(&self, role: &str) -> Option<usize> {
        self.lines.get(role).copied()
    }

    fn index(&self, role: &str) -> Result<NodeIndex, TierError> {
        self.nodes
            .get(role)
            .copied()
            .ok_or_else(|| TierError::NotInTiers {
                role: role.to_string(),
                known: self.nodes.keys().cloned().collect(),
            })
    }

    fn names(&self, nodes: &[NodeIndex]) -> Vec<&str> {
        nodes.iter().map(|&n| self.graph[n].as_str()).collect()
    }

    /// Every role above `role`, in order of first mention.
    pub fn ancestors(&self, role: &str) -> Result<Vec<&str>, TierError> {
        Ok(self.names(&self.reach(self.index(role)?, Direction::Incoming)))
    }

    /// Every role below `role`, in order of first mention.
    pub fn descendants(&self, role: &str) -> Result<Vec<&str>, TierError> {
        Ok(self.names(&self.reach(self.index(role)?, Direction::Outgoing)))
    }

    /// The roles directly below `role` (the next link of its chains), in
    /// order of first mention.
    pub fn directly_below(&self, role: &str) -> Result<Vec<&str>, TierError> {
        let mut below: Vec<NodeIndex> = self.graph.neighbors(self.index(role)?).collect();
        below.sort();
        Ok(self.names(&below))
    }

    /// Every role by level: the roles with nothing above them first, then
    /// each role one level below the lowest of the roles directly above it
    /// (its longest chain from the top). Roles keep their order of first
    /// mention within a level.
    pub fn levels(&self) -> Vec<Vec<&str>> {
        let order = petgraph::algo::toposort(&self.graph, None)
            .expect("the tier graph is acyclic: parse refuses cycles");
        let mut level = vec![0usize; self.graph.node_count()];
        for n in order {
            for below in self.graph.neighbors(n) {
                level[below.index()] = level[below.index()].max(level[n.index()] + 1);
            }
        }
        let mut levels: Vec<Vec<&str>> = Vec::new();
        for n in self.graph.node_indices() {
            let at = level[n.index()];
            if levels.len() <= at {
                levels.resize_with(at + 1, Vec::new);
            }
            levels[at].push(self.graph[n].as_str());
        }
        levels
    }

    /// Fails naming the first tier role (and its line) the table lacks.
    pub fn require_roles(&self, table: &Table) -> Result<(), TierError> {
        match self
            .nodes
            .keys()
            .find(|role| table.role_index(role).is_none())
        {
            Some(role) => Err(TierError::UnknownRole {
                role: role.clone(),
                line: self.line_of(role),
                known: table.roles().map(str::to_string).collect(),
            }),
            None => Ok(()),
        }
    }

    /// R and every ancestor of R get at least `value` (compared on effective
    /// values; an unknown one is set). Returns the plan; `table` is unchanged.
    pub fn grant(
        &self,
        table: &Table,
        role: &str,
        target: &Target,
        value: &Value,
    ) -> Result<Plan, TierError> {
        let wanted = match rank(value) {
            Some(r) if r > 0 => r,
            _ => {
                return Err(TierError::NotAGrant {
                    value: value.to_text(),
                })
            }
        };
        let closure = self.closure(
            table,
            role,
            Direction::Incoming,
            "granted at",
            "ancestor of",
        )?;
        Ok(self.plan(table, target, closure, value, |effective| {
            rank(effective).is_none_or(|r| r < wanted)
        }))
    }

    /// R and every descendant of R get `no`. Returns the plan; `table` is unchanged.
    pub fn revoke(&self, table: &Table, role: &str, target: &Target) -> Result<Plan, TierError> {
        let closure = self.closure(
            table,
            role,
            Direction::Outgoing,
            "revoked at",
            "descendant of",
        )?;
        Ok(self.plan(table, target, closure, &Value::No, |effective| {
            *effective != Value::No
        }))
    }

    /// `role` and its relatives in `direction` (`Incoming`: its ancestors,
    /// `Outgoing`: its descendants), each with why it is in the plan.
    fn closure(
        &self,
        table: &Table,
        role: &str,
        direction: Direction,
        at: &str,
        relation: &str,
    ) -> Result<Vec<(NodeIndex, String)>, TierError> {
        let node = self.index(role)?;
        self.require_roles(table)?;
        let mut closure = vec![(node, format!("{at} {role}"))];
        closure.extend(
            self.reach(node, direction)
                .into_iter()
                .map(|n| (n, format!("{relation} {role}"))),
        );
        Ok(closure)
    }

    fn plan(
        &self,
        table: &Table,
        target: &Target,
        mut closure: Vec<(NodeIndex, String)>,
        after: &Value,
        needs: impl Fn(&Value) -> bool,
    ) -> Plan {
        closure.sort_by_key(|(n, _)| table.role_index(&self.graph[*n]));
        let changes = closure
            .into_iter()
            .filter_map(|(n, why)| {
                let role = &self.graph[n];
                let column = table.role_index(role)?;
                let before = table.get(target, column);
                (needs(&table.effective(target, column)) && before != *after).then(|| Change {
                    role: role.clone(),
                    target: *target,
                    before,
                    after: after.clone(),
                    why,
                })
            })
            .collect();
        Plan { changes }
    }

    /// Missed permissions, reported once per direct tier edge: on each target,
    /// every edge `upper > lower` of the tier file where `lower`'s effective
    /// value is more permissive (`no` < `if …` < `yes`; a field follows its
    /// entity). The transitive pairs follow from these and are not listed, so
    /// the cost grows with rows × edges, not with the square of a chain.
    ///
    /// An unknown (or unresolved `inherit`) role is not compared, and it does
    /// not hide what lies across it: on a target where roles between `upper`
    /// and `lower` are all unknown, `upper` and `lower` count as directly
    /// linked (the edge of the tier graph with that target's unknown roles
    /// contracted). Without unknown roles these are exactly the file's edges.
    ///
    /// Why nothing is lost: take roles `a` above `c`, both known, with `a`
    /// allowing less than `c`. On any path from `a` down to `c`, the known
    /// roles `a = k0, k1, …, km = c` are consecutive over unknown-only
    /// stretches, so each `(ki, ki+1)` is a reported link. Were every
    /// `ki` allowed at least `ki+1`, `a` would be allowed at least `c`; so some
    /// link on the path is reported. Conversely every reported pair is a
    /// transitive violation. So a transitive violation `(a, c)` exists iff
    /// some path `a → … → c` carries a reported one.
    ///
    /// With `include_unknown`, also each direct edge where exactly one side
    /// is unknown and the known side does not settle it (an upper `yes` or a
    /// lower `no` holds whatever the other is), flagged `unknown`. In
    /// canonical target order; within a target by lower role, then upper
    /// role, in the tier file's order of first mention.
    pub fn check(&self, table: &Table, include_unknown: bool) -> Result<Vec<Violation>, TierError> {
        self.require_roles(table)?;
        let count = self.graph.node_count();
        let column: Vec<usize> = self
            .graph
            .node_indices()
            .map(|n| {
                table
                    .role_index(&self.graph[n])
                    .expect("require_roles: every tier role is a column")
            })
            .collect();
        let parents: Vec<Vec<usize>> = self
            .graph
            .node_indices()
            .map(|n| {
                let mut up: Vec<usize> = self
                    .graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .map(|p| p.index())
                    .collect();
                up.sort_unstable();
                up
            })
            .collect();
        let names: Vec<Name> = table.roles().map(Name::from).collect();
        let mut violations = Vec::new();
        let mut ranks = Vec::with_capacity(table.role_count());
        let mut found: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut seen = vec![0u32; count];
        let mut stamp = 0u32;
        // The effective values of the row being reported, made on demand.
        let mut values: Vec<Option<Cell>> = Vec::new();
        let mut values_row: Option<usize> = None;
        let mut entity_row: Option<Option<usize>> = None;
        for row in table.sorted_rows() {
            table.effective_ranks(row, &mut ranks);
            for lower in 0..count {
                let l = ranks[column[lower]];
                found.clear();
                for &upper in &parents[lower] {
                    let u = ranks[column[upper]];
                    match (u, l) {
                        (NO_RANK, NO_RANK) => {}
                        (NO_RANK, _) => {
                            if l == RANK_NO {
                                continue;
                            }
                            if include_unknown {
                                found.push(upper);
                            }
                            // Across unknown roles, to the nearest known ones.
                            stamp += 1;
                            stack.clear();
                            stack.push(upper);
                            seen[upper] = stamp;
                            while let Some(at) = stack.pop() {
                                for &above in &parents[at] {
                                    if seen[above] == stamp {
                                        continue;
                                    }
                                    seen[above] = stamp;
                                    match ranks[column[above]] {
                                        NO_RANK => stack.push(above),
                                        a if a < l => found.push(above),
                                        _ => {}
                                    }
                                }
                            }
                        }
                        (RANK_YES, NO_RANK) => {}
                        (_, NO_RANK) => {
                            if include_unknown {
                                found.push(upper);
                            }
                        }
                        (a, b) => {
                            if a < b {
                                found.push(upper);
                            }
                        }
                    }
                }
                if found.is_empty() {
                    continue;
                }
                found.sort_unstable();
                found.dedup();
                let target = table.target(row);
                if values_row != Some(row) {
                    values_row = Some(row);
                    values.clear();
                    values.resize(table.role_count(), None);
                    entity_row = target.entity_target().map(|e| table.target_index(&e));
                }
                let mut value_of = |col: usize| -> Cell {
                    let value = *values[col]
                        .get_or_insert_with(|| effective_at(table, row, entity_row, col));
                    debug_assert_eq!(value, table.effective_cell(target, col));
                    value
                };
                let lower_value = value_of(column[lower]);
                for &upper in &found {
                    let upper_value = value_of(column[upper]);
                    violations.push(Violation {
                        upper: names[column[upper]],
                        lower: names[column[lower]],
                        target: *target,
                        unknown: upper_value.rank() == NO_RANK || lower_value.rank() == NO_RANK,
                        upper_value,
                        lower_value,
                    });
                }
            }
        }
        Ok(violations)
    }

    /// Whether `actor_role` may move someone from `current_role` to
    /// `new_role`: admins may assign anything; others only roles strictly
    /// below their own, to people strictly below them, and never an admin role.
    pub fn can_assign(&self, actor_role: &str, current_role: &str, new_role: &str) -> Decision {
        let decide = |allowed: bool, reason: String| Decision { allowed, reason };
        if self.admins.iter().any(|a| a == actor_role) {
            return decide(
                true,
                format!("{actor_role} is an admin role and may assign any role"),
            );
        }
        let Ok(actor) = self.index(actor_role) else {
            let hint = did_you_mean(actor_role, self.nodes.keys().map(String::as_str));
            return decide(
                false,
                format!(
                    "{actor_role} is in no chain of the tier file{hint}, so it may assign nothing"
                ),
            );
        };
        let below = |role: &str| {
            self.nodes
                .get(role)
                .is_some_and(|&n| n != actor && has_path_connecting(&self.graph, actor, n, None))
        };
        if self.admins.iter().any(|a| a == new_role) {
            return decide(
                false,
                format!("{new_role} is an admin role: only admins assign it"),
            );
        }
        if let Err(unknown) = self.index(new_role) {
            return decide(false, unknown.to_string());
        }
        if !below(new_role) {
            return decide(false, format!("{new_role} is not below {actor_role}"));
        }
        if !below(current_role) {
            return decide(
                false,
                format!("the person holds {current_role}, which is not below {actor_role}"),
            );
        }
        decide(
            true,
            format!("{new_role} and {current_role} are both below {actor_role}"),
        )
    }
}

/// [`Table::effective`] of a cell, by row: `entity_row` is `None` for an
/// entity row, else the row of the field's entity (`Some(None)` when the
/// table lacks it), so a pass over many cells of one row looks it up once.
fn effective_at(table: &Table, row: usize, entity_row: Option<Option<usize>>, role: usize) -> Cell {
    let own = table.cell(row, role);
    let Some(entity_row) = entity_row else {
        return own;
    };
    Cell::effective(
        own,
        entity_row.map_or(Cell::UNKNOWN, |e| table.cell(e, role)),
    )
}

/// The nodes of a path from `from` to another node `to` in the acyclic
/// `graph`, both included (empty when there is none): the first one depth
/// first, each node's neighbours in petgraph's order. A node left without
/// reaching `to` cannot reach it by another way in, so each is entered once.
fn path(graph: &DiGraph<(), ()>, from: NodeIndex, to: NodeIndex) -> Vec<NodeIndex> {
    let mut entered = vec![false; graph.node_count()];
    entered[from.index()] = true;
    let mut stack = vec![(from, graph.neighbors(from))];
    while let Some((_, next)) = stack.last_mut() {
        match next.next() {
            Some(n) if n == to => {
                return stack.iter().map(|(at, _)| *at).chain([to]).collect();
            }
            Some(n) => {
                if !std::mem::replace(&mut entered[n.index()], true) {
                    stack.push((n, graph.neighbors(n)));
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    Vec::new()
}

fn strip_admins(line: &str) -> Option<&str> {
    let (head, rest) = line.split_once(':')?;
    head.trim().eq_ignore_ascii_case("admins").then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Action, Kind};
    use proptest::prelude::*;

    /// The demo studio's tier file: the studio of the feature request.
    const STUDIO: &str = include_str!("../python/sgperms/demo_tiers.txt");

    const ROLES: [&str; 12] = [
        "admin",
        "it_support",
        "pipeline_td",
        "tech_artist",
        "senior_manager",
        "producer",
        "coordinator",
        "supervisor",
        "lead",
        "artist",
        "vendor",
        "outsider",
    ];

    fn asset_create() -> Target {
        Target::new(Kind::Entity, "Asset", "", Action::Create).unwrap()
    }

    fn table_with(value: Value) -> Table {
        let mut t = Table::with_roles(ROLES).unwrap();
        let row = t.insert_target(asset_create());
        for role in 0..ROLES.len() {
            t.set(row, role, &value).unwrap();
        }
        t
    }

    fn roles_of(plan: &Plan) -> Vec<&str> {
        plan.changes.iter().map(|c| c.role.as_str()).collect()
    }

    #[test]
    fn plan_csv_neutralises_formula_starts() {
        let tiers = Tiers::parse("supervisor > lead > artist").unwrap();
        let target =
            Target::new(Kind::App, "", "=HYPERLINK(\"http://evil\")", Action::See).unwrap();
        let mut table = Table::with_roles(["supervisor", "lead", "artist"]).unwrap();
        table.insert_target(target);
        let plan = tiers
            .grant(&table, "lead", &target, &Value::If("@SUM(1)".into()))
            .unwrap();
        let csv = plan.to_csv();
        assert_eq!(csv.lines().count(), 3, "{csv}");
        assert!(
            csv.lines()
                .nth(2)
                .unwrap()
                .starts_with("lead,app,,\"'=HYPERLINK(\"\"http://evil\"\")\",see,,if @SUM(1),"),
            "{csv}"
        );
        for line in csv.lines() {
            for cell in line.split(',') {
                assert!(
                    !crate::safe::is_formula(cell.trim_matches('"')),
                    "{cell} in {csv}"
                );
            }
        }
    }

    #[test]
    fn grant_reaches_every_ancestor_and_nothing_else() {
        let tiers = Tiers::parse(STUDIO).unwrap();
        let table = table_with(Value::No);
        let plan = tiers
            .grant(&table, "coordinator", &asset_create(), &Value::Yes)
            .unwrap();
        assert_eq!(
            roles_of(&plan),
            [
                "it_support",
                "pipeline_td",
                "senior_manager",
                "producer",
                "coordinator"
            ]
        );
        assert_eq!(plan.changes[0].why, "ancestor of coordinator");
        assert_eq!(plan.changes[4].why, "granted at coordinator");
        let after = plan.apply(&table).unwrap();
        for (i, role) in ROLES.iter().enumerate() {
            let expected = if roles_of(&plan).contains(role) {
                Value::Yes
            } else {
                Value::No
            };
            assert_eq!(after.get(&asset_create(), i), expected, "{role}");
        }
        assert!(tiers
            .grant(&after, "coordinator", &asset_create(), &Value::Yes)
            .unwrap()
            .changes
            .is_empty());
    }

    #[test]
    fn revoke_reaches_descendants_only_and_isolated_roles_are_never_touched() {
        let tiers = Tiers::parse(STUDIO).unwrap();
        let table = table_with(Value::Yes);
        let plan = tiers.revoke(&table, "lead", &asset_create()).unwrap();
        assert_eq!(roles_of(&plan), ["lead", "artist"]);
        assert_eq!(plan.changes[1].why, "descendant of lead");
        for role in ["admin", "vendor"] {
            for target_role in ROLES.iter().filter(|r| **r != "outsider") {
                let grant = tiers
                    .grant(
                        &table_with(Value::No),
                        target_role,
                        &asset_create(),
                        &Value::Yes,
                    )
                    .unwrap();
                let revoke = tiers.revoke(&table, target_role, &asset_create()).unwrap();
                if *target_role != role {
                    assert!(
                        !roles_of(&grant).contains(&role) && !roles_of(&revoke).contains(&role)
                    );
                }
            }
        }
        assert_eq!(
            tiers
                .grant(&table, "outsider", &asset_create(), &Value::Yes)
                .unwrap_err(),
            TierError::NotInTiers {
                role: "outsider".into(),
                known: tiers.roles().iter().map(|r| r.to_string()).collect(),
            }
        );
    }

    #[test]
    fn a_misspelt_role_gets_the_closest_known_one_suggested() {
        let tiers = Tiers::parse("admins: admin\nadmin\nproducer > coordinator\n").unwrap();
        let table = Table::with_roles(["admin", "producer", "coordinator"]).unwrap();
        let grant = tiers.grant(&table, "coordinater", &asset_create(), &Value::Yes);
        assert_eq!(
            grant.unwrap_err().to_string(),
            "role \"coordinater\" is in no chain of the tier file (did you mean \"coordinator\"?)"
        );
        let far = tiers.grant(&table, "vendor", &asset_create(), &Value::Yes);
        assert!(far
            .unwrap_err()
            .to_string()
            .ends_with("add it (a line with just \"vendor\" declares it isolated)"));
        let assign = tiers.can_assign("producer", "coordinator", "coordinater");
        assert!(!assign.allowed);
        assert_eq!(
            assign.reason,
            "role \"coordinater\" is in no chain of the tier file (did you mean \"coordinator\"?)"
        );
        assert_eq!(
            tiers.can_assign("prodcer", "coordinator", "coordinator").reason,
            "prodcer is in no chain of the tier file (did you mean \"producer\"?), so it may assign nothing"
        );
        let unknown = table.require_role("admni").unwrap_err().to_string();
        assert!(unknown
            .starts_with("unknown role \"admni\" (did you mean \"admin\"?); the table has: "));
    }

    #[test]
    fn file_errors_name_the_line() {
        let err = Tiers::parse("a > b\n\nb > c\nc > a  # oops\n").unwrap_err();
        assert_eq!(
            err,
            TierError::Cycle {
                line: 4,
                cycle: vec!["a".into(), "b".into(), "c".into(), "a".into()]
            }
        );
        assert_eq!(
            err.to_string(),
            "line 4: this chain makes a cycle: a > b > c > a; tiers must only go down"
        );
        assert!(matches!(
            Tiers::parse("a > a").unwrap_err(),
            TierError::Cycle { line: 1, .. }
        ));
        assert_eq!(
            Tiers::parse("\u{feff}admins: a\nb > c").unwrap().admins(),
            ["a"]
        );
        let err = Tiers::parse("a > > b").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1: expected a chain of role codes"),
            "{err}"
        );
        assert!(Tiers::parse("admins: a b").is_err());
        let tiers = Tiers::parse("supervisor > lead\n\nlead > artst\n").unwrap();
        let table = Table::with_roles(["supervisor", "lead", "artist"]).unwrap();
        assert_eq!(
            tiers.check(&table, false).unwrap_err().to_string(),
            "line 3: unknown role \"artst\" (did you mean \"artist\"?); the permission table has: supervisor, lead, artist"
        );
        assert!(Tiers::parse("").unwrap().roles().is_empty());
    }

    #[test]
    fn levels_follow_the_longest_chain_from_the_top() {
        let tiers = Tiers::parse(STUDIO).unwrap();
        let levels = tiers.levels();
        assert_eq!(levels[0], ["admin", "it_support", "vendor"]);
        assert_eq!(levels[1], ["pipeline_td"]);
        assert_eq!(levels[2], ["tech_artist", "senior_manager"]);
        assert_eq!(levels.last().unwrap(), &["artist"]);
        assert_eq!(
            levels.iter().map(Vec::len).sum::<usize>(),
            tiers.roles().len()
        );
        assert_eq!(
            tiers.directly_below("pipeline_td").unwrap(),
            ["tech_artist", "senior_manager"]
        );
        assert!(tiers.directly_below("artist").unwrap().is_empty());
        assert!(tiers.directly_below("nobody").is_err());
        assert!(Tiers::parse("").unwrap().levels().is_empty());
    }

    #[test]
    fn check_compares_effective_values_and_reports_unknowns_on_request() {
        let tiers = Tiers::parse("lead > artist").unwrap();
        let mut t = Table::with_roles(["lead", "artist"]).unwrap();
        let entity = t.insert_target(Target::new(Kind::Entity, "Task", "", Action::Edit).unwrap());
        let field =
            t.insert_target(Target::new(Kind::Field, "Task", "content", Action::Edit).unwrap());
        t.set(entity, 0, &Value::No).unwrap();
        t.set(entity, 1, &Value::If("assigned".into())).unwrap();
        t.set(field, 0, &Value::Yes).unwrap(); // but the entity says no: effectively no
        t.set(field, 1, &Value::Inherit).unwrap();
        let found = tiers.check(&t, false).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].upper_value.value(), found[0].lower_value.value()),
            (Value::No, Value::If("assigned".into()))
        );
        assert_eq!(found[1].target.kind(), Kind::Field);
        let unknown = t.insert_target(Target::new(Kind::Entity, "Shot", "", Action::See).unwrap());
        t.set(unknown, 1, &Value::Yes).unwrap();
        assert_eq!(tiers.check(&t, false).unwrap().len(), 2);
        let with_unknown = tiers.check(&t, true).unwrap();
        assert_eq!(with_unknown.len(), 3);
        assert!(with_unknown
            .iter()
            .any(|v| v.unknown && v.target.entity_type() == "Shot"));
    }

    #[test]
    fn assignment_truth_table() {
        let tiers = Tiers::parse(STUDIO).unwrap();
        let cases = [
            // actor, current, new, allowed
            ("admin", "artist", "admin", true),
            ("admin", "it_support", "vendor", true),
            ("producer", "artist", "lead", true),
            ("producer", "coordinator", "supervisor", true),
            ("producer", "artist", "producer", false), // not strictly below
            ("producer", "artist", "senior_manager", false), // above
            ("producer", "producer", "coordinator", false), // a peer (or themselves)
            ("producer", "vendor", "artist", false),   // person not below
            ("lead", "artist", "supervisor", false),
            ("lead", "artist", "artist", true),
            ("artist", "artist", "lead", false),
            ("vendor", "vendor", "artist", false), // isolated: below nobody, above nobody
            ("outsider", "artist", "artist", false), // not in the tier file
            ("it_support", "artist", "admin", false), // admin roles only from admins
        ];
        for (actor, current, new, allowed) in cases {
            let decision = tiers.can_assign(actor, current, new);
            assert_eq!(
                decision.allowed, allowed,
                "{actor}: {current} -> {new}: {}",
                decision.reason
            );
            assert!(!decision.reason.is_empty());
        }
    }

    #[test]
    fn a_stale_plan_is_refused() {
        let tiers = Tiers::parse(STUDIO).unwrap();
        let table = table_with(Value::No);
        let plan = tiers
            .grant(&table, "lead", &asset_create(), &Value::Yes)
            .unwrap();
        let moved = tiers
            .grant(&table, "artist", &asset_create(), &Value::If("x".into()))
            .unwrap()
            .apply(&table)
            .unwrap();
        assert!(matches!(
            plan.apply(&moved).unwrap_err(),
            TierError::StalePlan { .. }
        ));
        assert!(matches!(
            tiers
                .grant(&table, "lead", &asset_create(), &Value::No)
                .unwrap_err(),
            TierError::NotAGrant { .. }
        ));
    }

    /// A random DAG over `n` roles (edges only from lower to higher index, so
    /// acyclic) as a tier file, with role 0 an admin when `admin` is set.
    fn dag() -> impl Strategy<Value = (usize, String, bool)> {
        (2usize..8).prop_flat_map(|n| {
            (
                Just(n),
                prop::collection::vec(any::<bool>(), n * n),
                any::<bool>(),
            )
                .prop_map(|(n, bits, admin)| {
                    let mut lines = Vec::new();
                    if admin {
                        lines.push("admins: r0".to_string());
                    }
                    for i in 0..n {
                        lines.push(format!("r{i}"));
                        for j in i + 1..n {
                            if bits[i * n + j] {
                                lines.push(format!("r{i} > r{j}"));
                            }
                        }
                    }
                    (n, lines.join("\n"), admin)
                })
        })
    }

    fn value_of(rank: u8) -> Value {
        match rank {
            0 => Value::No,
            1 => Value::If("condition".into()),
            _ => Value::Yes,
        }
    }

    /// A table for one target whose values respect the tiers (every role at
    /// least as permissive as its descendants), from random ranks.
    fn consistent(tiers: &Tiers, n: usize, ranks: &[u8], field: bool) -> (Table, Target) {
        let roles: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        let mut t = Table::with_roles(roles.clone()).unwrap();
        let target = if field {
            let entity =
                t.insert_target(Target::new(Kind::Entity, "Shot", "", Action::Edit).unwrap());
            for r in 0..n {
                t.set(entity, r, &Value::Yes).unwrap();
            }
            Target::new(Kind::Field, "Shot", "code", Action::Edit).unwrap()
        } else {
            Target::new(Kind::Entity, "Shot", "", Action::Edit).unwrap()
        };
        let row = t.insert_target(target);
        for (r, role) in roles.iter().enumerate() {
            let below = tiers.descendants(role).unwrap();
            let level = below
                .iter()
                .map(|d| ranks[d[1..].parse::<usize>().unwrap()])
                .chain([ranks[r]])
                .max()
                .unwrap();
            t.set(row, r, &value_of(level)).unwrap();
        }
        (t, target)
    }

    proptest! {
        #[test]
        fn grant_keeps_tiers_consistent_is_idempotent_and_stays_in_the_closure(
            (n, text, _) in dag(),
            ranks in prop::collection::vec(0u8..3, 8),
            at in 0usize..8,
            granted in 1u8..3,
            field in any::<bool>(),
        ) {
            let tiers = Tiers::parse(&text).unwrap();
            let (table, target) = consistent(&tiers, n, &ranks, field);
            prop_assert!(tiers.check(&table, false).unwrap().is_empty());
            let role = format!("r{}", at % n);
            let plan = tiers.grant(&table, &role, &target, &value_of(granted)).unwrap();
            let closure: Vec<&str> = tiers.ancestors(&role).unwrap().into_iter().chain([role.as_str()]).collect();
            prop_assert!(plan.changes.iter().all(|c| closure.contains(&c.role.as_str())));
            let after = plan.apply(&table).unwrap();
            prop_assert!(tiers.check(&after, false).unwrap().iter().all(|v| v.target != target));
            prop_assert!(tiers.grant(&after, &role, &target, &value_of(granted)).unwrap().changes.is_empty());
        }

        #[test]
        fn revoke_is_idempotent_stays_in_the_closure_and_grant_restores(
            (n, text, _) in dag(),
            ranks in prop::collection::vec(0u8..3, 8),
            at in 0usize..8,
            field in any::<bool>(),
        ) {
            let tiers = Tiers::parse(&text).unwrap();
            let (table, target) = consistent(&tiers, n, &ranks, field);
            let role = format!("r{}", at % n);
            let column = table.role_index(&role).unwrap();
            let plan = tiers.revoke(&table, &role, &target).unwrap();
            let closure: Vec<&str> = tiers.descendants(&role).unwrap().into_iter().chain([role.as_str()]).collect();
            prop_assert!(plan.changes.iter().all(|c| closure.contains(&c.role.as_str())));
            let after = plan.apply(&table).unwrap();
            prop_assert!(tiers.check(&after, false).unwrap().is_empty());
            prop_assert!(tiers.revoke(&after, &role, &target).unwrap().changes.is_empty());
            let original = table.get(&target, column);
            if rank(&original).is_some_and(|r| r > 0) {
                let restored = tiers.grant(&after, &role, &target, &original).unwrap().apply(&after).unwrap();
                prop_assert_eq!(restored.get(&target, column), original);
            }
        }

        #[test]
        fn no_sequence_of_allowed_assignments_lifts_anyone_to_the_actor(
            (n, text, _) in dag(),
            actor_at in 0usize..8,
            people in prop::collection::vec(0usize..8, 1..6),
            moves in prop::collection::vec((0usize..6, 0usize..8), 0..20),
        ) {
            let tiers = Tiers::parse(&text).unwrap();
            let actor = format!("r{}", actor_at % n);
            prop_assume!(!tiers.admins().contains(&actor));
            let above_or_at: Vec<String> = tiers.ancestors(&actor).unwrap().into_iter().map(str::to_string).chain([actor.clone()]).collect();
            // people[0] is the actor; the others start anywhere below the actor or elsewhere.
            let mut holding: Vec<String> = people.iter().map(|p| format!("r{}", p % n)).collect();
            holding[0] = actor.clone();
            let start: Vec<bool> = holding.iter().map(|r| above_or_at.contains(r)).collect();
            for (who, to) in moves {
                let who = who % holding.len();
                let new_role = format!("r{}", to % n);
                if tiers.can_assign(&actor, &holding[who], &new_role).allowed {
                    holding[who] = new_role;
                }
            }
            prop_assert_eq!(&holding[0], &actor);
            for (i, role) in holding.iter().enumerate() {
                // Nobody who started below the actor ends at or above it.
                prop_assert!(start[i] || !above_or_at.contains(role), "{} reached {}", i, role);
            }
        }
    }

    fn value_or_unknown(code: u8) -> Value {
        if code == 3 {
            Value::Unknown
        } else {
            value_of(code)
        }
    }

    proptest! {
        #[test]
        fn check_reports_links_and_every_transitive_violation_has_one_on_a_path(
            (n, text, _) in dag(),
            codes in prop::collection::vec(0u8..4, 8),
        ) {
            let tiers = Tiers::parse(&text).unwrap();
            let roles: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
            let mut t = Table::with_roles(roles.clone()).unwrap();
            let row = t.insert_target(Target::new(Kind::Entity, "Shot", "", Action::Edit).unwrap());
            for (r, &code) in codes.iter().take(n).enumerate() {
                t.set(row, r, &value_or_unknown(code)).unwrap();
            }
            let known = |r: &str| codes[r[1..].parse::<usize>().unwrap()] != 3;
            let rank_of = |r: &str| codes[r[1..].parse::<usize>().unwrap()];
            let below_or_at = |r: &str| -> Vec<String> {
                tiers.descendants(r).unwrap().into_iter().map(str::to_string).chain([r.to_string()]).collect()
            };
            let reported: Vec<(String, String)> = tiers.check(&t, false).unwrap().into_iter()
                .map(|v| { assert!(!v.unknown); (v.upper.to_string(), v.lower.to_string()) }).collect();
            // Sound: every reported pair is a transitive violation, linked
            // through unknown roles only (a direct edge when there are none).
            for (u, l) in &reported {
                prop_assert!(tiers.descendants(u).unwrap().contains(&l.as_str()));
                prop_assert!(known(u) && known(l) && rank_of(u) < rank_of(l));
                let direct = tiers.directly_below(u).unwrap().contains(&l.as_str());
                let all_known = codes[..n].iter().all(|&c| c != 3);
                prop_assert!(direct || !all_known, "{} > {} is not an edge", u, l);
            }
            // Complete: each transitive violation (a, c) has a reported (u, l)
            // on a path a → … → u → … → l → … → c.
            for c in &roles {
                for a in tiers.ancestors(c).unwrap() {
                    if known(a) && known(c) && rank_of(a) < rank_of(c) {
                        let on_path = reported.iter().any(|(u, l)| {
                            below_or_at(a).contains(u)
                                && below_or_at(u).contains(l)
                                && below_or_at(l).contains(c)
                        });
                        prop_assert!(on_path, "({}, {}) has no reported link", a, c);
                    }
                }
            }
            // Unknown pairs are direct edges only, and add nothing else.
            let with_unknown = tiers.check(&t, true).unwrap();
            for v in &with_unknown {
                if v.unknown {
                    prop_assert!(tiers.directly_below(&v.upper).unwrap().contains(&v.lower.as_str()));
                }
            }
            let known_pairs: Vec<(String, String)> = with_unknown.into_iter().filter(|v| !v.unknown)
                .map(|v| (v.upper.to_string(), v.lower.to_string())).collect();
            prop_assert_eq!(known_pairs, reported);
        }
    }

    #[test]
    fn a_long_chain_is_checked_once_per_edge() {
        let n = 10_000;
        let roles: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        let tiers = Tiers::parse(&roles.join(" > ")).unwrap();
        let mut t = Table::with_roles(roles.clone()).unwrap();
        let row = t.insert_target(Target::new(Kind::Entity, "Shot", "", Action::Edit).unwrap());
        for r in 0..n {
            let value = if r % 2 == 0 { Value::No } else { Value::Yes };
            t.set(row, r, &value).unwrap();
        }
        // Every "no" above a "yes": the edges r0 > r1, r2 > r3, ...
        let found = tiers.check(&t, false).unwrap();
        assert_eq!(found.len(), n / 2);
        assert_eq!(
            (found[0].upper.as_str(), found[0].lower.as_str()),
            ("r0", "r1")
        );
    }

    /// Roles in order of first mention in a tier text of chains: the order
    /// the answers of [`Tiers`] keep.
    fn mention_order(text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        text.lines()
            .flat_map(|l| l.split('>'))
            .map(str::trim)
            .filter(|role| seen.insert(*role))
            .map(str::to_string)
            .collect()
    }

    /// Every role's descendants by a plain transitive closure (Warshall's
    /// algorithm, on rows of bits) over `edges` of roles `0..n`:
    /// `below[a][b]` when b is below a.
    fn closure_reference(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<bool>> {
        let words = n.div_ceil(64);
        let mut rows = vec![vec![0u64; words]; n];
        for &(a, b) in edges {
            rows[a][b / 64] |= 1 << (b % 64);
        }
        for k in 0..n {
            let through = rows[k].clone();
            for row in &mut rows {
                if row[k / 64] >> (k % 64) & 1 == 1 {
                    row.iter_mut().zip(&through).for_each(|(w, t)| *w |= t);
                }
            }
        }
        rows.iter()
            .map(|row| (0..n).map(|b| row[b / 64] >> (b % 64) & 1 == 1).collect())
            .collect()
    }

    /// The roles of `order` whose number (from `number`) is kept, in order.
    fn in_order(
        order: &[String],
        number: impl Fn(&str) -> usize,
        keep: impl Fn(usize) -> bool,
    ) -> Vec<&str> {
        order
            .iter()
            .map(String::as_str)
            .filter(|r| keep(number(r)))
            .collect()
    }

    fn role_number(role: &str) -> usize {
        role[1..].parse().unwrap()
    }

    #[test]
    fn a_long_chain_is_parsed_in_linear_time_and_answers_on_demand() {
        let n = 10_000;
        let roles: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        let chain = roles.join(" > ");
        // Top-down in one line, and bottom-up one edge a line: the same tiers.
        let upwards: String = (0..n - 1)
            .rev()
            .map(|i| format!("{} > {}\n", roles[i], roles[i + 1]))
            .collect();
        for text in [chain.clone(), upwards] {
            let tiers = Tiers::parse(&text).unwrap();
            let order = mention_order(&text);
            for i in [0, 1, 4_999, n - 2, n - 1] {
                let role = roles[i].as_str();
                let above = in_order(&order, role_number, |a| a < i);
                let below = in_order(&order, role_number, |d| d > i);
                // Not assert_eq: a failure would print 10,000 roles.
                assert!(tiers.ancestors(role).unwrap() == above, "{role}");
                assert!(tiers.descendants(role).unwrap() == below, "{role}");
            }
            assert_eq!(tiers.levels().len(), n);
            assert!(tiers.can_assign("r0", "r9998", "r9999").allowed);
            assert!(!tiers.can_assign("r9998", "r9999", "r0").allowed);
        }
        let err = Tiers::parse(&format!("{chain}\nr9999 > r0\n")).unwrap_err();
        let cycle: Vec<String> = roles.iter().cloned().chain(["r0".into()]).collect();
        assert_eq!(err, TierError::Cycle { line: 2, cycle });
    }

    #[test]
    fn a_wide_dag_answers_as_its_transitive_closure() {
        // 20 layers of 100 roles, each linked to three roles of the next
        // layer; the lower layers written first, so that the order of first
        // mention is not the layers' order.
        let (layers, width) = (20, 100);
        let names: Vec<String> = (0..layers * width)
            .map(|i| format!("l{}_{}", i / width, i % width))
            .collect();
        let mut edges = Vec::new();
        for layer in (0..layers - 1).rev() {
            for i in 0..width {
                for j in [(i * 7 + 3) % width, i, (i + 1) % width] {
                    edges.push((layer * width + i, (layer + 1) * width + j));
                }
            }
        }
        let text: String = edges
            .iter()
            .map(|&(a, b)| format!("{} > {}\n", names[a], names[b]))
            .collect();
        let tiers = Tiers::parse(&text).unwrap();
        let below = closure_reference(names.len(), &edges);
        let order = mention_order(&text);
        assert_eq!(tiers.roles(), order);
        let numbers: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, r)| (r.as_str(), i))
            .collect();
        let number = |r: &str| numbers[r];
        for (r, role) in names.iter().enumerate().step_by(7) {
            let role = role.as_str();
            assert_eq!(
                tiers.descendants(role).unwrap(),
                in_order(&order, number, |d| below[r][d]),
                "{role}"
            );
            assert_eq!(
                tiers.ancestors(role).unwrap(),
                in_order(&order, number, |a| below[a][r]),
                "{role}"
            );
        }
        assert_eq!(tiers.levels().len(), layers);
    }

    /// A random DAG as tier text: `n` roles whose names are shuffled against
    /// a hidden ranking that every edge goes down (so acyclic), the edges in
    /// shuffled lines, consecutive ones joined into chains, every role then
    /// declared alone. Returns `n`, the edges (by role number) and the text.
    fn shuffled_dag() -> impl Strategy<Value = (usize, Vec<(usize, usize)>, String)> {
        (2usize..12)
            .prop_flat_map(|n| {
                (
                    Just(n),
                    Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                    prop::collection::vec(any::<bool>(), n * n),
                )
            })
            .prop_flat_map(|(n, rank, bits)| {
                let edges: Vec<(usize, usize)> = (0..n)
                    .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                    .filter(|&(i, j)| bits[i * n + j])
                    .map(|(i, j)| (rank[i], rank[j]))
                    .collect();
                (Just(n), Just(edges).prop_shuffle())
            })
            .prop_map(|(n, edges)| {
                let mut lines: Vec<String> = Vec::new();
                let mut last = None;
                for &(a, b) in &edges {
                    match lines.last_mut() {
                        Some(line) if last == Some(a) => *line += &format!(" > r{b}"),
                        _ => lines.push(format!("r{a} > r{b}")),
                    }
                    last = Some(b);
                }
                lines.extend((0..n).map(|r| format!("r{r}")));
                (n, edges, lines.join("\n"))
            })
    }

    proptest! {
        #[test]
        fn answers_on_demand_match_a_transitive_closure(
            (n, edges, text) in shuffled_dag(),
            admin in 0usize..24,
        ) {
            let text = if admin < n { format!("admins: r{admin}\n{text}") } else { text };
            let tiers = Tiers::parse(&text).unwrap();
            let names: Vec<String> = (0..n).map(|r| format!("r{r}")).collect();
            let below = closure_reference(n, &edges);
            // The admin, if any, is named first.
            let order = mention_order(&text.replacen("admins: ", "", 1));
            for (r, role) in names.iter().enumerate() {
                prop_assert_eq!(tiers.descendants(role).unwrap(), in_order(&order, role_number, |d| below[r][d]));
                prop_assert_eq!(tiers.ancestors(role).unwrap(), in_order(&order, role_number, |a| below[a][r]));
                prop_assert_eq!(
                    tiers.directly_below(role).unwrap(),
                    in_order(&order, role_number, |d| edges.contains(&(r, d)))
                );
                for current in 0..n {
                    for new in 0..n {
                        let allowed = r == admin
                            || (new != admin && below[r][new] && below[r][current]);
                        let decision = tiers.can_assign(role, &names[current], &names[new]);
                        prop_assert_eq!(decision.allowed, allowed, "{}", decision.reason);
                    }
                }
            }
        }

        #[test]
        fn the_first_edge_closing_a_cycle_is_refused_naming_its_cycle(
            (n, edges, text) in shuffled_dag(),
            pick in any::<prop::sample::Index>(),
            syntax_before in any::<bool>(),
        ) {
            let below = closure_reference(n, &edges);
            let pairs: Vec<(usize, usize)> = (0..n)
                .flat_map(|a| (0..n).map(move |b| (a, b)))
                .filter(|&(a, b)| a == b || below[a][b])
                .collect();
            // `upper` is at or above `lower`, so `lower > upper` closes a cycle.
            let (upper, lower) = *pick.get(&pairs);
            let bad = "r0 > > r1";
            let closing = format!("r{lower} > r{upper}");
            let text = if syntax_before {
                format!("{text}\n{bad}\n{closing}\n{bad}")
            } else {
                format!("{text}\n{closing}\n{bad}\nr{upper} > r{lower}")
            };
            let at = text.lines().position(|l| l == closing).unwrap() + 1;
            match Tiers::parse(&text).unwrap_err() {
                TierError::Syntax { line, .. } => prop_assert!(syntax_before && line == at - 1),
                TierError::Cycle { line, cycle } => {
                    prop_assert!(!syntax_before);
                    prop_assert_eq!(line, at);
                    let upper_name = format!("r{upper}");
                    prop_assert_eq!(cycle.first(), Some(&upper_name));
                    prop_assert_eq!(cycle.last(), Some(&upper_name));
                    prop_assert_eq!(&cycle[cycle.len() - 2], &format!("r{lower}"));
                    let path = &cycle[..cycle.len() - 1];
                    for pair in path.windows(2) {
                        prop_assert!(edges.contains(&(role_number(&pair[0]), role_number(&pair[1]))), "{:?}", cycle);
                    }
                    let mut distinct = path.to_vec();
                    distinct.sort();
                    distinct.dedup();
                    prop_assert_eq!(distinct.len(), path.len());
                }
                other => prop_assert!(false, "{}", other),
            }
        }
    }

    #[test]
    fn an_unknown_role_between_does_not_hide_a_missed_permission() {
        let tiers = Tiers::parse("lead > mid > artist").unwrap();
        let mut t = Table::with_roles(["lead", "mid", "artist"]).unwrap();
        let row = t.insert_target(Target::new(Kind::Entity, "Shot", "", Action::Edit).unwrap());
        t.set(row, 0, &Value::No).unwrap();
        t.set(row, 2, &Value::Yes).unwrap();
        let found = tiers.check(&t, false).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].upper.as_str(), found[0].lower.as_str()),
            ("lead", "artist")
        );
        let pairs: Vec<(String, String, bool)> = tiers
            .check(&t, true)
            .unwrap()
            .into_iter()
            .map(|v| (v.upper.to_string(), v.lower.to_string(), v.unknown))
            .collect();
        assert_eq!(
            pairs,
            [
                ("lead".into(), "mid".into(), true),
                ("lead".into(), "artist".into(), false),
                ("mid".into(), "artist".into(), true),
            ]
        );
    }

    #[test]
    fn reading_a_file_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.txt");
        let err = Tiers::read(&missing).unwrap_err();
        assert!(matches!(&err, TierFileError::Io { path, .. } if *path == missing));
        assert_eq!(err.kind(), "io");
        let bad = dir.path().join("t.txt");
        std::fs::write(&bad, b"admin > lead\nlead > \xe9\n").unwrap();
        let err = Tiers::read(&bad).unwrap_err();
        assert_eq!(err.kind(), "invalid_utf8");
        assert_eq!(
            err.to_string(),
            format!(
                "{}: line 2: invalid UTF-8; save the tier file as UTF-8 text",
                bad.display()
            )
        );
        std::fs::write(&bad, "a > b\nb > a\n").unwrap();
        let err = Tiers::read(&bad).unwrap_err();
        assert_eq!(err.kind(), "cycle");
        assert!(err
            .to_string()
            .starts_with(&format!("{}: line 2: ", bad.display())));
        std::fs::write(&bad, "admins: a\na > b\n").unwrap();
        assert_eq!(Tiers::read(&bad).unwrap().admins(), ["a"]);
    }

    #[test]
    fn violations_and_changes_read_as_sentences() {
        let target = Target::new(Kind::Entity, "Version", "", Action::Retire).unwrap();
        let mut v = Violation {
            upper: "lead".into(),
            lower: "artist".into(),
            target,
            upper_value: Cell::of(&Value::No),
            lower_value: Cell::of(&Value::If("own".into())),
            unknown: false,
        };
        assert_eq!(
            v.to_string(),
            "entity:Version::retire: lead (no) allows less than artist (if own)"
        );
        v.upper_value = Cell::UNKNOWN;
        v.unknown = true;
        assert_eq!(
            v.to_string(),
            "entity:Version::retire: lead (unknown) cannot be compared with artist (if own)"
        );
        let change = Change {
            role: "lead".into(),
            target,
            before: Value::Unknown,
            after: Value::Yes,
            why: "grant".into(),
        };
        assert_eq!(
            change.to_string(),
            "lead entity:Version::retire: \"\" -> \"yes\", grant"
        );
    }
}
