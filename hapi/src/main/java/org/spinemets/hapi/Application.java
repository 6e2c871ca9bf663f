package org.spinemets.hapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/**
 * Minimal HAPI FHIR JPA server (R4, H2 in-memory) used as the integration-test
 * target of spinemets. Everything that matters is in {@link FhirServerConfig};
 * configuration is in {@code application.properties}.
 *
 * <p>Auto-configurations excluded by name because the jars are on the classpath
 * (transitively, via hapi-fhir-jpaserver-base) but must not be activated: the
 * JPA stack is wired by HAPI itself, there is no Elasticsearch, HAPI runs its
 * own Quartz scheduler, and no templates/UI are served.
 */
@SpringBootApplication(
		excludeName = {
			"org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration",
			"org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration",
			"org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
			"org.springframework.boot.autoconfigure.quartz.QuartzAutoConfiguration",
			"org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration",
			"org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration",
			"org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchClientAutoConfiguration",
			"org.springframework.boot.autoconfigure.mail.MailSenderAutoConfiguration",
			"org.springframework.boot.autoconfigure.mail.MailSenderValidatorAutoConfiguration",
			"org.springframework.boot.autoconfigure.gson.GsonAutoConfiguration",
			"org.springframework.boot.autoconfigure.websocket.servlet.WebSocketMessagingAutoConfiguration",
		})
@Import(FhirServerConfig.class)
public class Application {

	public static void main(String[] args) {
		SpringApplication.run(Application.class, args);
	}
}
