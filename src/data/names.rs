//! Names: a column or field declared in snake case (`developer_id`) as GraphQL spells it
//! (`developerId`) and as SeaORM names its `Column` variant (`DeveloperId`).

/// The characters of `snake` in camel case: each `_` is dropped and the letter after it
/// upper-cased (`developer_id` gives `developerId`); the first letter too when
/// `upper_first` (`DeveloperId`). Nothing is allocated.
pub fn camel_chars(snake: &str, upper_first: bool) -> impl Iterator<Item = char> + '_ {
    let mut upper = upper_first;
    snake
        .chars()
        .filter_map(move |c| {
            if c == '_' {
                upper = true;
                return None;
            }
            Some((c, std::mem::replace(&mut upper, false)))
        })
        .flat_map(|(c, upper)| {
            c.to_uppercase()
                .filter(move |_| upper)
                .chain((!upper).then_some(c))
        })
}

/// `developer_id` as the GraphQL field name `developerId`.
pub fn camel_case(snake: &str) -> String {
    camel_chars(snake, false).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_names_turn_camel() {
        assert_eq!(camel_case("developer_id"), "developerId");
        assert_eq!(camel_case("amount"), "amount");
        assert_eq!(camel_case("founded_by_alumni_of_id"), "foundedByAlumniOfId");
        let pascal: String = camel_chars("amount_low_minor", true).collect();
        assert_eq!(pascal, "AmountLowMinor");
    }
}
