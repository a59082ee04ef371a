//! Judging the pages: `count`, pages that neither overlap nor skip, the
//! links, and a stable order.

use super::*;

/// What page 1 of count=100 said of the list.
pub(super) struct PageOf100 {
    pub(super) listed: usize,
    pub(super) total: Option<u64>,
    pub(super) total_pages: Option<u64>,
}

impl PageOf100 {
    /// Whether zeeg, reading from this page by its own rule, reads everyone.
    pub(super) fn reads_everyone(&self) -> bool {
        let (Some(total), Some(total_pages)) = (self.total, self.total_pages) else {
            return false;
        };
        let listed = self.listed as u64;
        pages_to_read(total, total_pages, listed).saturating_mul(listed) >= total
    }
}

pub(super) fn judge_count(first: &Answer, page: &PageOf100) -> Outcome {
    let (listed, total) = (page.listed, page.total);
    let first_len = ids(first).map(|ids| ids.len());
    let mut problems = Vec::new();
    let expect_first = total.map(|t| t.min(1) as usize);
    match (first_len, expect_first) {
        (Some(n), Some(want)) if n != want => {
            problems.push(format!("count=1 listed {n}"));
        }
        (Some(n), None) if n > 1 => problems.push(format!("count=1 listed {n}")),
        (None, _) => problems.push("count=1 gave no readable list".to_string()),
        _ => {}
    }
    let want = total.map(|t| t.min(u64::from(MAX_PAGE_SIZE)) as usize);
    match want {
        Some(want) if listed != want => problems.push(format!(
            "count=100 listed {listed} of a total of {}",
            total.unwrap_or(0)
        )),
        None if listed > MAX_PAGE_SIZE as usize => {
            problems.push(format!("count=100 listed {listed}"))
        }
        _ => {}
    }
    if problems.is_empty() {
        return ok(format!(
            "count=1 listed {}, count=100 listed {listed}",
            first_len.unwrap_or(0)
        ));
    }
    // The one small request reads only `total`; the list is read at the
    // page size the server gives, as far as `totalPages` agrees.
    if first_len.is_some() && page.reads_everyone() {
        return copes(
            problems.join("; "),
            format!(
                "zeeg reads the list at the size the server gives: {listed} a page, as many pages as total and totalPages call for, so it costs requests but misses nobody"
            ),
        );
    }
    differs(
        problems.join("; "),
        "plan reads pages 1 to totalPages with count=100: a smaller page than asked for means people past it are missed (shown as new; apply's upsert still matches them by email, so nothing is duplicated)",
    )
}

pub(super) async fn judge_pages(
    probe: &mut Probe,
    people: &[Value],
    total: Option<u64>,
) -> Result<Outcome, ApiError> {
    if people.len() < 2 {
        return Ok(not_checked(format!(
            "needs at least 2 people; the workspace holds {}",
            people.len()
        )));
    }
    let size = (people.len() / 2) as u64;
    let one = probe.get(PEOPLE_PATH, &page_query(1, size)).await?;
    let two = probe.get(PEOPLE_PATH, &page_query(2, size)).await?;
    let (Some(first), Some(second)) = (ids(&one), ids(&two)) else {
        return Ok(differs(
            format!(
                "count={size}: pages 1 and 2 answered {} and {}",
                one.status, two.status
            ),
            "plan, apply and import stop at the list request that fails",
        ));
    };
    // The pages are judged at the size the server gives, as zeeg reads them:
    // a page other than `count` asked for is people.list.count's to report.
    let given = if first.is_empty() {
        size
    } else {
        first.len() as u64
    };
    let longer: Vec<String> = people.iter().take(2 * given as usize).map(id_of).collect();
    let mut pages = PageFindings::default();
    pages.compare(&first, &second, &longer);
    if let Some(back) = pages.shifted {
        let three = probe.get(PEOPLE_PATH, &page_query(3, size)).await?;
        let next = people.get(first.len() + second.len() - back).map(id_of);
        pages.check_page_three(ids(&three), next);
    }
    let (one, two) = (one.json(), two.json());
    pages.check_total_pages(one.as_ref(), total, given);
    pages.check_links(one.as_ref(), two.as_ref());
    if pages.problems.is_empty() {
        return Ok(ok(format!(
            "count={size}: pages 1 and 2 are the first {} people, in order; totalPages and the links agree",
            2 * size
        )));
    }
    let observed = pages.problems.join("; ");
    Ok(if pages.skipped {
        differs(observed, pages.zeeg_does())
    } else {
        copes(observed, pages.zeeg_does())
    })
}

/// What two pages of the list showed, against the first people of a longer one.
#[derive(Default)]
pub(super) struct PageFindings {
    pub(super) problems: Vec<String>,
    /// Page 2 repeats people of page 1.
    pub(super) overlap: bool,
    /// People are on neither page, or totalPages claims too few.
    pub(super) skipped: bool,
    /// A nextPage or previousPage link names the wrong page.
    pub(super) links_wrong: bool,
    /// totalPages claims more pages than total fills.
    pub(super) too_many_pages: bool,
    /// Page 2 is the window after page 1 moved back by this many people.
    pub(super) shifted: Option<usize>,
}

impl PageFindings {
    /// Pages 1 and 2 joined should begin with the first people of the longer
    /// list (they hold more only when that list is shorter than asked).
    pub(super) fn compare(&mut self, first: &[String], second: &[String], longer: &[String]) {
        let joined: Vec<String> = first.iter().chain(second).cloned().collect();
        if joined.starts_with(longer) {
            return;
        }
        let seen: HashSet<&String> = first.iter().collect();
        let repeated = second.iter().filter(|id| seen.contains(id)).count();
        let listed: HashSet<&String> = joined.iter().collect();
        let missing = longer.iter().filter(|id| !listed.contains(id)).count();
        if repeated > 0 {
            self.overlap = true;
            self.problems
                .push(format!("page 2 repeats {repeated} of page 1"));
        }
        // Page 2 starting `repeated` people early leaves as many for page 3:
        // whether they are skipped is page 3's to say.
        let start = first.len().saturating_sub(repeated);
        if repeated > 0
            && missing == repeated
            && longer.get(start..start + second.len()) == Some(second)
        {
            self.shifted = Some(repeated);
        } else if missing > 0 {
            self.skipped = true;
            self.problems.push(format!(
                "{missing} of the first {} are on neither page",
                longer.len()
            ));
        }
        if repeated == 0 && missing == 0 {
            self.problems
                .push("the two pages hold the people in another order".to_string());
        }
    }

    /// After a `shifted` page 2, page 3 should go on with the person after
    /// it, `next`.
    pub(super) fn check_page_three(&mut self, third: Option<Vec<String>>, next: Option<String>) {
        let Some(back) = self.shifted else {
            return;
        };
        let goes_on = third.and_then(|ids| ids.into_iter().next()) == next;
        if !goes_on {
            self.skipped = true;
            self.problems.push(format!(
                "page 3 does not go on after page 2: {} on no page",
                counted(back, "person is", "people are")
            ));
        }
    }

    /// totalPages should be ⌈total / size⌉, `size` being the page length given.
    pub(super) fn check_total_pages(
        &mut self,
        body: Option<&Value>,
        total: Option<u64>,
        size: u64,
    ) {
        let pages = body
            .and_then(|b| b.pointer("/pagination/totalPages"))
            .and_then(Value::as_u64);
        if let (Some(pages), Some(total)) = (pages, total) {
            let want = total.div_ceil(size).max(1);
            if pages != want {
                self.skipped |= pages < want;
                self.too_many_pages |= pages > want;
                self.problems.push(format!(
                    "totalPages is {pages}, ⌈{total} / {size}⌉ is {want}"
                ));
            }
        }
    }

    /// Page 1's nextPage should name page 2, and page 2's previousPage page 1.
    pub(super) fn check_links(&mut self, one: Option<&Value>, two: Option<&Value>) {
        let link = |body: Option<&Value>, pointer: &str| {
            body.and_then(|b| b.pointer(pointer))
                .and_then(Value::as_str)
                .map(link_page)
        };
        if link(one, "/pagination/nextPage").is_some_and(|page| page != Some(2)) {
            self.links_wrong = true;
            self.problems
                .push("page 1's nextPage does not name page 2".to_string());
        }
        if link(two, "/pagination/previousPage").is_some_and(|page| page != Some(1)) {
            self.links_wrong = true;
            self.problems
                .push("page 2's previousPage does not name page 1".to_string());
        }
    }

    /// What zeeg does about the worst of the findings.
    pub(super) fn zeeg_does(&self) -> &'static str {
        if self.skipped {
            "people the pages skip are missing from what plan reads: plan shows them as new, and apply's upsert updates them (it matches by email), so nothing is duplicated, but the plan is wrong"
        } else if self.overlap {
            "plan drops people listed twice (by id), so an overlap costs only requests"
        } else if self.links_wrong {
            "nothing: zeeg pages by number and does not follow the links"
        } else if self.too_many_pages {
            "nothing: zeeg reads no more pages than total fills at the size the first page has"
        } else {
            "plan reads pages concurrently and keeps their order; a different order changes nothing it decides"
        }
    }
}

/// The `page` of a link such as `/v2/crm/people?page=3&count=100`.
pub(super) fn link_page(link: &str) -> Option<u64> {
    let query = link.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == PAGE_PARAM)
        .and_then(|(_, v)| v.parse().ok())
}

pub(super) async fn judge_order(probe: &mut Probe, people: &[Value]) -> Result<Outcome, ApiError> {
    if people.len() < 2 {
        return Ok(not_checked(format!(
            "needs at least 2 people; the workspace holds {}",
            people.len()
        )));
    }
    let again = probe
        .get(PEOPLE_PATH, &page_query(1, u64::from(MAX_PAGE_SIZE)))
        .await?;
    let before: Vec<String> = people.iter().map(id_of).collect();
    let Some(after) = ids(&again) else {
        return Ok(differs(
            format!("the second read answered {}", again.status),
            "plan, apply and import stop at the list request that fails",
        ));
    };
    let stable = before == after;
    let key = |p: &Value| {
        let at = p
            .get("createdAt")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        (at, id_of(p))
    };
    let out_of_order = people
        .windows(2)
        .position(|pair| key(&pair[0]) > key(&pair[1]));
    let listed = counted(people.len(), "person", "people");
    match (stable, out_of_order) {
        (true, None) => Ok(ok(format!(
            "two reads listed the same {listed} in the same order, oldest first"
        ))),
        (false, _) => Ok(differs(
            format!("a second read of page 1 listed {listed} in another order or others"),
            "plan reads pages concurrently and assumes a stable order: people who move between pages while it reads can be missed (shown as new; apply's upsert still matches them) or listed twice (dropped)",
        )),
        (true, Some(at)) => Ok(copes(
            format!(
                "stable, but not oldest first: person {} comes before {}{}",
                id_of(&people[at]),
                id_of(&people[at + 1]),
                if key(&people[at]).0 == key(&people[at + 1]).0 {
                    ", created the same second"
                } else {
                    ""
                }
            ),
            "nothing, while the order stays stable: zeeg matches people by their values, not their place, and import sorts what it writes",
        )),
    }
}
