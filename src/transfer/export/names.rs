//! How rows name each other in the formats, loaded once before the export.

use super::*;

/// How rows name each other in the formats: companies, people, models and projects by
/// name, sources by key, facts by ref.
#[derive(Default)]
pub(super) struct Names {
    pub(super) companies: HashMap<i32, String>,
    pub(super) people: HashMap<i32, String>,
    pub(super) models: HashMap<i32, String>,
    pub(super) projects: HashMap<i32, String>,
    pub(super) sources: HashMap<i32, String>,
    pub(super) figures: HashMap<i32, String>,
    pub(super) claims: HashMap<i32, String>,
}

impl Names {
    pub(super) async fn load(db: &DatabaseConnection) -> Result<Names> {
        let mut names = Names::default();
        for_pages::<company::Entity>(db, |rows| {
            names
                .companies
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<person::Entity>(db, |rows| {
            names
                .people
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<ai_model::Entity>(db, |rows| {
            names
                .models
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<project::Entity>(db, |rows| {
            names
                .projects
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<source::Entity>(db, |rows| {
            names
                .sources
                .extend(rows.iter().map(|r| (r.id, r.key.clone())));
        })
        .await?;
        for_pages::<spending_figure::Entity>(db, |rows| {
            names.figures.extend(
                rows.iter()
                    .filter_map(|r| Some((r.id, r.reference.clone()?))),
            );
        })
        .await?;
        for_pages::<claim::Entity>(db, |rows| {
            names.claims.extend(
                rows.iter()
                    .filter_map(|r| Some((r.id, r.reference.clone()?))),
            );
        })
        .await?;
        Ok(names)
    }

    pub(super) fn get(
        map: &HashMap<i32, String>,
        id: Option<i32>,
        what: &str,
    ) -> Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => map
                .get(&id)
                .cloned()
                .map(Some)
                .ok_or_else(|| Error::Internal(format!("{what} {id} has no name to export"))),
        }
    }

    pub(super) fn company(&self, id: Option<i32>) -> Result<Option<String>> {
        Names::get(&self.companies, id, "company")
    }
}
