-- One row per NPQ course: code, full name as published, leadership or specialist, the first
-- academic year it was offered, and whether full funding stayed universal from autumn 2024.
-- Sources: DfE NPQ course guidance; funding change from autumn 2024 (NPQH, SENCO and leading
-- primary maths stayed fully funded for all state-funded schools).
SELECT *
FROM (
    VALUES
        ('NPQSL', 'NPQ for Senior Leadership', 'leadership', 2021, false),
        ('NPQH', 'NPQ for Headship', 'leadership', 2021, true),
        ('NPQEL', 'NPQ for Executive Leadership', 'leadership', 2021, false),
        ('NPQEYL', 'NPQ for Early Years Leadership', 'leadership', 2022, false),
        ('NPQSENCO', 'NPQ for Special Educational Needs Co-ordinators', 'leadership', 2024, true),
        ('NPQLT', 'NPQ for Leading Teaching', 'specialist', 2021, false),
        ('NPQLTD', 'NPQ for Leading Teacher Development', 'specialist', 2021, false),
        ('NPQLBC', 'NPQ for Leading Behaviour and Culture', 'specialist', 2021, false),
        ('NPQLL', 'NPQ for Leading Literacy', 'specialist', 2022, false),
        ('NPQLPM', 'NPQ for Leading Primary Mathematics', 'specialist', 2024, true)
) AS course(course_code, course_name, course_type, first_year_start, funded_for_all_from_2024)
ORDER BY course_type, first_year_start, course_code
