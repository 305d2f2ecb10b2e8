//! How big a document is once its fragments are spread: fields and aliases. The complexity limit
//! prices what resolvers do; these bound what it does not see (`__typename` costs nothing there),
//! so six thousand aliases of it, or one fragment spread six thousand times, are refused before
//! anything runs (graphql-cop's alias overloading and field duplication).

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

/// The most fields one document may select, fragments spread.
pub const MAX_FIELDS: usize = 2_000;

/// The most aliases one document may use, fragments spread.
pub const MAX_ALIASES: usize = 100;

/// Fields and aliases of a document, fragments spread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Size {
    /// Field selections, `__typename` included.
    pub fields: usize,
    /// Of those, the aliased ones.
    pub aliases: usize,
}

impl Size {
    fn add(self, other: Self) -> Self {
        Self {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }

    /// Why the document is too big, if it is.
    pub fn refusal(self) -> Option<String> {
        if self.aliases > MAX_ALIASES {
            Some(format!(
                "The document uses {} aliases; at most {MAX_ALIASES} are allowed.",
                self.aliases
            ))
        } else if self.fields > MAX_FIELDS {
            Some(format!(
                "The document selects {} fields; at most {MAX_FIELDS} are allowed.",
                self.fields
            ))
        } else {
            None
        }
    }
}

/// The size of every operation of `document`, each fragment counted wherever it is spread.
pub fn size(document: &ExecutableDocument) -> Size {
    let mut sizes = Sizes {
        document,
        known: HashMap::new(),
    };
    match &document.operations {
        DocumentOperations::Single(operation) => sizes.of(&operation.node.selection_set.node),
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| sizes.of(&operation.node.selection_set.node))
            .fold(Size::default(), Size::add),
    }
}

struct Sizes<'a> {
    document: &'a ExecutableDocument,
    /// Each fragment's size once computed; `None` while it is being computed (a cycle counts
    /// nothing here: validation refuses it anyway).
    known: HashMap<&'a str, Option<Size>>,
}

impl<'a> Sizes<'a> {
    fn of(&mut self, set: &'a SelectionSet) -> Size {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => Size {
                    fields: 1,
                    aliases: usize::from(field.node.alias.is_some()),
                }
                .add(self.of(&field.node.selection_set.node)),
                Selection::InlineFragment(fragment) => self.of(&fragment.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node),
            })
            .fold(Size::default(), Size::add)
    }

    fn fragment(&mut self, name: &'a str) -> Size {
        if let Some(known) = self.known.get(name) {
            return known.unwrap_or_default();
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return Size::default();
        };
        self.known.insert(name, None);
        let size = self.of(&definition.node.selection_set.node);
        self.known.insert(name, Some(size));
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(query: &str) -> Size {
        size(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn fragments_count_wherever_they_are_spread() {
        assert_eq!(
            measured("{ a b: a c { d } }"),
            Size {
                fields: 4,
                aliases: 1
            }
        );
        let spread = "query { ...F ...F ...F } fragment F on Query { x: a b }";
        assert_eq!(
            measured(spread),
            Size {
                fields: 6,
                aliases: 3
            }
        );
        let inline = "{ ... on Query { a ... on Query { b } } }";
        assert_eq!(
            measured(inline),
            Size {
                fields: 2,
                aliases: 0
            }
        );
        // A cycle ends (validation refuses it).
        let cycle = "query { ...A } fragment A on Query { a ...B } fragment B on Query { ...A }";
        assert_eq!(measured(cycle).fields, 1);
    }

    #[test]
    fn too_many_aliases_or_fields_are_refused() {
        let aliases: String = (0..=MAX_ALIASES)
            .map(|n| format!("a{n}: __typename "))
            .collect();
        assert!(measured(&format!("{{ {aliases} }}")).refusal().is_some());
        let fine: String = (0..MAX_ALIASES)
            .map(|n| format!("a{n}: __typename "))
            .collect();
        assert!(measured(&format!("{{ {fine} }}")).refusal().is_none());
        let spreads = "...F ".repeat(MAX_FIELDS / 10 + 1);
        let fields = "a b c d e f g h i j";
        assert!(
            measured(&format!(
                "query {{ {spreads} }} fragment F on Query {{ {fields} }}"
            ))
            .refusal()
            .is_some()
        );
    }
}
