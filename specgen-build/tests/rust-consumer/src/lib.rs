//! The generated types of examples/bookshelf, and of every good fixture, compiled with every
//! warning denied and exercised through serde_json.
#![deny(warnings)]

/// examples/bookshelf, from the default output file.
pub mod bookshelf {
    include!(concat!(env!("OUT_DIR"), "/specgen.rs"));
}

/// One module per good fixture of specgen-lib.
pub mod fixtures {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::bookshelf::*;
    use super::fixtures::{all_types, keywords, recursive};

    /// Reads `value` as `T`, writes it back, and checks the JSON is unchanged.
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug>(value: Value) -> T {
        let parsed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        parsed
    }

    #[test]
    fn bookshelf_book_create() {
        let book: BookCreate = round_trip(json!({
            "title": "The Dispossessed",
            "author_id": "7d4f4c8e-0b7a-4a63-9f43-2f5c3b0e6a11",
            "status": "reading",
            "format": "paperback",
            "price": "9.99",
            "tags": ["sf", "utopia"],
            "genres": [{"slug": "sf", "name": "Science fiction"}],
            "identifiers": {"openlibrary": "OL7353617M"},
            "series": null,
        }));
        assert_eq!(book.status, Some(BookStatus::Reading));
        assert_eq!(book.format, Some(BookFormat::Paperback));
        assert_eq!(book.series, None);
        assert_eq!(book.subtitle, None);
    }

    #[test]
    fn bookshelf_rules() {
        let minimal = json!({"title": "T", "author_id": "x", "series": {"name": "Hainish", "position": 6.0}});
        let book: BookCreate = round_trip(minimal.clone());
        assert_eq!(book.series.unwrap().position, 6.0);
        // A required nullable field must be present.
        let mut missing = minimal.clone();
        missing.as_object_mut().unwrap().remove("series");
        assert!(serde_json::from_value::<BookCreate>(missing).unwrap_err().to_string().contains("series"));
        // Unknown fields and enum values are rejected.
        let mut extra = minimal.clone();
        extra["colour"] = json!("red");
        assert!(serde_json::from_value::<BookCreate>(extra).is_err());
        let mut bad_status = minimal;
        bad_status["status"] = json!("burnt");
        assert!(serde_json::from_value::<BookCreate>(bad_status).is_err());
    }

    #[test]
    fn recursive_types() {
        let employee: recursive::Employee = round_trip(json!({
            "name": "Ada",
            "department": {"name": "Engines", "head": {"name": "Charles", "mentor": null}, "staff": []},
            "reports_by_name": {"Bob": {"name": "Bob", "mentor": {"name": "Ada", "mentor": null}}},
            "mentor": {"name": "Mary", "mentor": null},
        }));
        let department = employee.department.as_deref().unwrap();
        assert_eq!(department.head.as_ref().unwrap().name, "Charles");
        assert_eq!(employee.reports_by_name.unwrap()["Bob"].mentor.as_ref().unwrap().name, "Ada");
        let tree: recursive::Category = round_trip(json!({
            "id": 1,
            "name": "root",
            "children": [{"id": 2, "name": "leaf", "children": [], "parent": {"id": 1, "name": "root"}}],
            "parent": null,
        }));
        assert_eq!(tree.children.unwrap()[0].parent.as_ref().unwrap().id, 1);
    }

    #[test]
    fn keywords_keep_their_wire_names() {
        let value = json!({
            "class": "c", "import": 1, "async": true, "type": "None", "list": [1], "dict": {"k": "v"},
            "self": "me", "match": "m",
        });
        let import: keywords::ImportCreate = serde_json::from_value(value).unwrap();
        assert_eq!(import.r#type, keywords::ImportType::None);
        assert_eq!(import.self_.as_deref(), Some("me"));
        let back = serde_json::to_value(&import).unwrap();
        assert_eq!(back["type"], "None");
        assert_eq!(back["self"], "me");
        assert_eq!(back["match"], "m");
    }

    #[test]
    fn int_keyed_dicts() {
        let names: std::collections::BTreeMap<i64, String> = [(2, "two".to_string()), (10, "ten".to_string())].into();
        let json = serde_json::to_value(&names).unwrap();
        assert_eq!(json, json!({"2": "two", "10": "ten"}));
        let value = json!({"names_by_int": {"2": "two", "10": "ten"}, "nullable_list": null});
        let patch: all_types::ContainersPatch = round_trip(value);
        assert_eq!(patch.names_by_int, Some(names));
    }
}
