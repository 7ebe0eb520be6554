//! How rows name each other in the formats, loaded once before the export.

use super::*;

/// The names of one table's rows, by id, and what a row of it is called in errors.
pub(super) struct Named {
    what: &'static str,
    by_id: HashMap<i32, String>,
}

impl Named {
    /// The names of every row of table `E`, read page by page; `name` is a row's name,
    /// key or ref (`None` for a row without one).
    async fn load<E>(
        db: &DatabaseConnection,
        what: &'static str,
        name: impl Fn(&E::Model) -> Option<String>,
    ) -> Result<Named>
    where
        E: EntityTrait,
        E::Model: Row,
    {
        let mut by_id = HashMap::new();
        for_pages::<E>(db, |rows| {
            by_id.extend(rows.iter().filter_map(|r| Some((r.row_id(), name(r)?))));
        })
        .await?;
        Ok(Named { what, by_id })
    }

    /// The name of row `id`, if any; a row without a name is an error.
    pub(super) fn of(&self, id: Option<i32>) -> Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => self.by_id.get(&id).cloned().map(Some).ok_or_else(|| {
                Error::Internal(format!("{} {id} has no name to export", self.what))
            }),
        }
    }
}

/// How rows name each other in the formats: companies, people, models and projects by
/// name, sources by key, facts by ref.
pub(super) struct Names {
    pub(super) companies: Named,
    pub(super) people: Named,
    pub(super) models: Named,
    pub(super) projects: Named,
    pub(super) sources: Named,
    pub(super) figures: Named,
    pub(super) claims: Named,
}

impl Names {
    pub(super) async fn load(db: &DatabaseConnection) -> Result<Names> {
        Ok(Names {
            companies: Named::load::<company::Entity>(db, "company", |r| Some(r.name.clone()))
                .await?,
            people: Named::load::<person::Entity>(db, "person", |r| Some(r.name.clone())).await?,
            models: Named::load::<ai_model::Entity>(db, "model", |r| Some(r.name.clone())).await?,
            projects: Named::load::<project::Entity>(db, "project", |r| Some(r.name.clone()))
                .await?,
            sources: Named::load::<source::Entity>(db, "source", |r| Some(r.key.clone())).await?,
            figures: Named::load::<spending_figure::Entity>(db, "spending figure", |r| {
                r.reference.clone()
            })
            .await?,
            claims: Named::load::<claim::Entity>(db, "claim", |r| r.reference.clone()).await?,
        })
    }
}
