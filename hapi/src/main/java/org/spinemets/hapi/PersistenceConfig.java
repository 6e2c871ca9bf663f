package org.spinemets.hapi;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirPostgresDialect;
import jakarta.persistence.EntityManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The database under HAPI: the entity manager factory with the Hibernate dialect for the
 * datasource (H2 for the tests, PostgreSQL for benchmarks) and the transaction manager.
 */
@Configuration
public class PersistenceConfig {

	private static final Logger ourLog = LoggerFactory.getLogger(PersistenceConfig.class);

	@Value("${spring.datasource.url}")
	private String myDatasourceUrl;

	/** Hibernate dialect; empty = chosen from the datasource URL (PostgreSQL or H2). */
	@Value("${spinemets.hibernate-dialect:}")
	private String myHibernateDialect;

	@Primary
	@Bean
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory theBeanFactory,
			FhirContext theFhirContext,
			JpaStorageSettings theStorageSettings,
			DataSource theDataSource) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(theBeanFactory, theFhirContext, theStorageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(theDataSource);
		Map<String, Object> p = new HashMap<>();
		p.put("hibernate.dialect", dialect());
		p.put("hibernate.hbm2ddl.auto", "update"); // create the schema in an empty database
		p.put("hibernate.jdbc.batch_size", "20");
		p.put("hibernate.format_sql", "false");
		p.put("hibernate.show_sql", "false");
		p.put("hibernate.cache.use_query_cache", "false");
		p.put("hibernate.cache.use_second_level_cache", "false");
		p.put("hibernate.cache.use_structured_entries", "false");
		p.put("hibernate.cache.use_minimal_puts", "false");
		p.put("hibernate.archive.scanner", "org.hibernate.boot.archive.scan.internal.DisabledScanner");
		p.put("hibernate.search.enabled", "false"); // Hibernate Search off
		emf.setJpaPropertyMap(p);
		return emf;
	}

	/** The configured dialect, else HAPI's dialect for the database the datasource URL names. */
	String dialect() {
		if (!myHibernateDialect.isBlank()) {
			return myHibernateDialect.trim();
		}
		String dialect = myDatasourceUrl.startsWith("jdbc:postgresql:")
				? HapiFhirPostgresDialect.class.getName()
				: HapiFhirH2Dialect.class.getName();
		ourLog.info("spinemets: database {} with dialect {}", myDatasourceUrl.replaceAll("\\?.*", ""), dialect);
		return dialect;
	}

	@Primary
	@Bean
	public JpaTransactionManager transactionManager(EntityManagerFactory theEntityManagerFactory) {
		JpaTransactionManager tm = new JpaTransactionManager();
		tm.setEntityManagerFactory(theEntityManagerFactory);
		return tm;
	}
}
