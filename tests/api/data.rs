//! The data layer on its own: batch loading and paging over a plain `DatabaseConnection`,
//! with no schema and no request. The statement counter shows a batch costs one statement.

use capex_graph::data::lists::{self, NestedQuery, id_key};
use capex_graph::data::loaders::{self, Node, nodes_of};
use capex_graph::data::paging::{PageArgs, PagePlan};
use capex_graph::dataset::{self, Dataset};
use entity::{company, investment};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    a_relation_of_three_parents_loads_in_one_statement,
    a_nested_page_of_two_per_parent_loads_in_one_statement,
    a_top_list_runs_no_statement_when_its_rows_are_not_wanted,
);

/// The investments each company made, read directly (one statement per company).
async fn investments_of(app: &TestApp, company: i32) -> Vec<investment::Model> {
    investment::Entity::find()
        .filter(investment::Column::InvestorId.eq(company))
        .order_by_asc(investment::Column::Id)
        .all(&app.db)
        .await
        .expect("investments")
}

/// Four more investments: three by Microsoft, one by Nvidia (the built-in dataset has one).
async fn more_investments(app: &TestApp) {
    let quote = "OpenAI last month announced Stargate";
    let made = [
        ("D1", "Microsoft", "OpenAI"),
        ("D2", "Microsoft", "Anthropic"),
        ("D3", "Microsoft", "DeepSeek"),
        ("D4", "Nvidia", "OpenAI"),
    ];
    let mut extra = Dataset::default();
    for (reference, investor, investee) in made {
        extra.investments.push(
            serde_json::from_value(json!({
                "ref": reference, "investor": investor, "investee": investee,
                "amount": { "amount": "1000000.50", "currency": "USD" },
                "citations": [{ "source": "ai-capex-spending-spree", "quote": quote }]
            }))
            .expect("investment"),
        );
    }
    dataset::load(&app.db, &extra)
        .await
        .expect("load the investments");
}

/// Three companies: the two that made the most investments, and the one that made the
/// fewest; with the number each made.
async fn three_parents(app: &TestApp) -> Vec<(company::Model, usize)> {
    more_investments(app).await;
    let companies = company::Entity::find()
        .order_by_asc(company::Column::Id)
        .all(&app.db)
        .await
        .expect("companies");
    let mut counted = Vec::new();
    for company in companies {
        let n = investments_of(app, company.id).await.len();
        counted.push((company, n));
    }
    counted.sort_by_key(|(c, n)| (std::cmp::Reverse(*n), c.id));
    let fewest = counted.pop().expect("a company");
    counted.truncate(2);
    counted.push(fewest);
    assert!(
        counted[0].1 > 2,
        "the dataset has a company with 3+ investments"
    );
    counted
}

fn ids(rows: &[Node<investment::Model>]) -> Vec<i32> {
    rows.iter().map(|row| row.id).collect()
}

async fn a_relation_of_three_parents_loads_in_one_statement(app: TestApp) {
    let parents = three_parents(&app).await;
    let nodes = nodes_of(parents.iter().map(|(c, _)| c.clone()).collect());
    app.take_statement_count();
    let mut loaded = Vec::new();
    for node in &nodes {
        let rows: Vec<Node<investment::Model>> = loaders::many::<_, investment::Entity, _>(
            &app.db,
            node,
            investment::Column::InvestorId,
        )
        .await
        .expect("many");
        loaded.push(rows);
    }
    assert_eq!(app.take_statement_count(), 1, "one statement for the batch");
    for ((company, n), rows) in parents.iter().zip(&loaded) {
        let expected: Vec<i32> = investments_of(&app, company.id)
            .await
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(ids(rows), expected, "{}", company.name);
        assert_eq!(rows.len(), *n);
    }

    // The other way: the investor of each investment loaded, one statement for the batch.
    let investments: Vec<investment::Model> =
        loaded.concat().iter().map(|n| (**n).clone()).collect();
    assert!(investments.len() > 2);
    let nodes = nodes_of(investments.clone());
    app.take_statement_count();
    for (node, investment) in nodes.iter().zip(&investments) {
        let investor: Node<company::Model> = loaders::required::<_, company::Entity, _>(
            &app.db,
            node,
            "investor_id",
            |i: &investment::Model| Some(i.investor_id),
        )
        .await
        .expect("investor");
        assert_eq!(investor.id, investment.investor_id);
    }
    assert_eq!(app.take_statement_count(), 1, "one statement for the batch");
}

fn first(n: i32) -> PagePlan {
    PageArgs {
        first: Some(n),
        ..PageArgs::default()
    }
    .plan(vec![id_key::<investment::Entity>()])
    .expect("plan")
}

async fn a_nested_page_of_two_per_parent_loads_in_one_statement(app: TestApp) {
    let parents = three_parents(&app).await;
    let more: Vec<bool> = parents.iter().map(|(_, n)| *n > 2).collect();
    assert!(more.contains(&true) && more.contains(&false), "{more:?}");
    let nodes = nodes_of(parents.iter().map(|(c, _)| c.clone()).collect());
    app.take_statement_count();
    let mut pages = Vec::new();
    let mut asked = 0;
    for node in &nodes {
        let page = lists::nested::<_, investment::Entity>(
            &app.db,
            node,
            investment::Column::InvestorId,
            "investmentsMade(first: 2)".to_string(),
            || {
                asked += 1;
                Ok(NestedQuery {
                    condition: Condition::all(),
                    currency: None,
                    plan: first(2),
                    wants_rows: true,
                })
            },
        )
        .await
        .expect("nested page");
        pages.push(page);
    }
    assert_eq!(
        asked, 1,
        "the field is worked out by the first sibling only"
    );
    assert_eq!(app.take_statement_count(), 1, "one statement for the batch");
    for ((company, n), page) in parents.iter().zip(&pages) {
        let expected: Vec<i32> = investments_of(&app, company.id)
            .await
            .iter()
            .map(|i| i.id)
            .take(2)
            .collect();
        assert_eq!(ids(&page.nodes), expected, "{}", company.name);
        assert_eq!(page.info.has_next_page, *n > 2, "{}", company.name);
        assert!(!page.info.has_previous_page);
    }

    // The whole lists are counted for all siblings at once.
    app.take_statement_count();
    for ((company, n), page) in parents.iter().zip(&pages) {
        let count = lists::count(&page.scope).await.expect("count");
        assert_eq!(count, *n as i64, "{}", company.name);
    }
    assert_eq!(app.take_statement_count(), 1, "one count for the batch");
}

async fn a_top_list_runs_no_statement_when_its_rows_are_not_wanted(app: TestApp) {
    more_investments(&app).await;
    let all = investment::Entity::find()
        .order_by_asc(investment::Column::Id)
        .all(&app.db)
        .await
        .expect("investments");
    let args = PageArgs {
        first: Some(3),
        ..PageArgs::default()
    };
    let keys = || vec![id_key::<investment::Entity>()];
    app.take_statement_count();
    let page = lists::top::<investment::Entity>(&app.db, Condition::all(), keys(), &args, false)
        .await
        .expect("page");
    assert_eq!(app.take_statement_count(), 0);
    assert!(page.nodes.is_empty());
    assert_eq!(
        lists::count(&page.scope).await.expect("count"),
        all.len() as i64
    );

    app.take_statement_count();
    let page = lists::top::<investment::Entity>(&app.db, Condition::all(), keys(), &args, true)
        .await
        .expect("page");
    assert_eq!(app.take_statement_count(), 1);
    let expected: Vec<i32> = all.iter().take(3).map(|i| i.id).collect();
    assert_eq!(ids(&page.nodes), expected);
    assert!(page.info.has_next_page);
}
